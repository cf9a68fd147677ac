// What an edit of the profile store asks for, as plain data (and one check on what is there).

/** A profile as it is written to the store: tokens, and only the keys the user gave. */
export interface StoredProfile {
  host?: string;
  port?: number;
  /** Absent when one_time_sequences gives the open sequences. */
  open?: (number | string)[];
  close?: (number | string)[];
  one_time_sequences?: string;
  delay?: number;
  seq_timeout?: number;
  description?: string;
  /** An SPA profile's settings (src/spa/profile.ts), in place of `open`. */
  spa?: Record<string, string | number | string[]>;
}

/** What an edit does to the store's profiles. */
export interface StoreEdit {
  /** Profiles to add or replace, in order. */
  set?: [string, StoredProfile][];
  /** Names to delete. */
  remove?: string[];
  /** Runs on the names in the store as it is read under the edit lock; throws to refuse. */
  check?: (names: ReadonlySet<string>) => void;
}
