// What an edit of the profile store asks for, as plain data (and one check on what is there).

/** A profile as it is written to the store: tokens, and only the keys the user gave. */
export interface StoredProfile {
  host?: string;
  /** A bare number (TCP) or `1194/udp`. */
  port?: number | string;
  /** Absent when one_time_sequences gives the open sequences. */
  open?: (number | string | StoredKnock)[];
  close?: (number | string | StoredKnock)[];
  one_time_sequences?: string;
  delay?: number;
  seq_timeout?: number;
  open_for?: number;
  ttl?: number;
  source?: string;
  family?: 4 | 6 | 'both';
  description?: string;
  /** An SPA profile's settings (src/spa/profile.ts), in place of `open`. */
  spa?: Record<string, string | number | string[]>;
}

/** A knock the token syntax cannot hold (a UDP payload), in the store's object form. */
export interface StoredKnock {
  port: number;
  protocol: 'udp';
  payload: string;
}

/** What an edit does to the store's profiles. */
export interface StoreEdit {
  /** Profiles to add or replace, in order. */
  set?: [string, StoredProfile][];
  /** Names to delete. */
  remove?: string[];
  /**
   * Members to add to / take out of groups, applied to the groups as they are under the edit
   * lock (a group is created by its first member and goes with its last).
   */
  groups?: [string, GroupChange][];
  /** Runs on the names in the store as it is read under the edit lock; throws to refuse. */
  check?: (names: ReadonlySet<string>) => void;
}

export interface GroupChange {
  add?: string[];
  remove?: string[];
}
