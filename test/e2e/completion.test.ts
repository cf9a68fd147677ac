// The checked-in completion scripts, run by the real shells, asking the built bin/knock.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KNOCK_BIN, ROOT, runKnock, runProcess, TempHome } from '../helpers/run-knock.js';

const has = (shell: string) => spawnSync('sh', ['-c', `command -v ${shell}`]).status === 0;
const describeShell = (shell: string) => (has(shell) ? describe : describe.skip);
if (!has('zsh') || !has('fish')) {
  console.warn('completion e2e: zsh or fish missing (scripts/install-lab-packages.sh installs them); those shells are skipped');
}

let home: TempHome;
let binDir: string;
beforeAll(() => {
  home = new TempHome();
  home.writeConfig('profiles:\n  web:\n    open: [1, 2]\n    close: [2, 1]\n  db:\n    open: [3, 4]\n  office:\n    open: [5, 6]\ngroups:\n  fleet: [web, db]\n  far: [office]\n');
  // Files for the shells' file-name fallback (import FILE, --config FILE).
  home.writeFile('knockd.conf', '[openSSH]\n  sequence = 1,2\n');
  home.writeFile('knockrc.yaml', 'profiles: {}\n');
  // `knock` on PATH is ours (Debian's knockd puts its own knock(1) there too).
  binDir = mkdtempSync(path.join(os.tmpdir(), 'knock-bin-'));
  symlinkSync(KNOCK_BIN, path.join(binDir, 'knock'));
});
afterAll(() => {
  home.cleanup();
  rmSync(binDir, { recursive: true, force: true });
});
const env = () => ({ ...home.env, PATH: `${binDir}:${process.env.PATH}` });
const lines = (text: string) => text.split('\n').filter(Boolean).sort();

describe('knock completion SHELL', () => {
  it.each([
    ['bash', 'knock.bash'],
    ['zsh', '_knock'],
    ['fish', 'knock.fish'],
  ])('%s prints completions/%s', async (shell, file) => {
    const r = await runKnock(['completion', shell], { env: env() });
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: readFileSync(path.join(ROOT, 'completions', file), 'utf8') });
  });

  it('refuses an unknown shell', async () => {
    const r = await runKnock(['completion', 'tcsh'], { env: env() });
    expect(r.code).toBe(2);
    expect(r.stderr).toBe("knock: SHELL 'tcsh' is not one of bash, zsh, fish\n");
  });
});

describe('--get-yargs-completions', () => {
  it('prints subcommands and profile names', async () => {
    const r = await runKnock(['--get-yargs-completions', 'knock', 'o'], { env: env() });
    expect(r).toMatchObject({ code: 0, stderr: '', stdout: 'open\noffice\n' });
  });

  it('reads the store named by --config', async () => {
    const other = home.writeFile('other.yaml', 'profiles:\n  zeta:\n    open: [1, 2]\n');
    const r = await runKnock(['--get-yargs-completions', 'knock', '--config', other, 'show', ''], { env: env() });
    expect(r.stdout).toBe('zeta\n');
  });
});

describeShell('bash')('bash, for real', () => {
  const complete = async (...words: string[]) => {
    // What bash sets: the line up to the cursor, and COMP_WORDS split at COMP_WORDBREAKS ('@' too).
    const line = words.join(' ');
    const script = `source ${ROOT}/completions/knock.bash
complete -p knock
COMP_LINE='${line}'; COMP_POINT=${line.length}
COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}
_knock_complete
printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = await runProcess('bash', ['--norc', '--noprofile', '-c', script], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [registration, ...rest] = r.stdout.split('\n');
    expect(registration).toBe('complete -o default -F _knock_complete knock');
    return lines(rest.join('\n'));
  };

  it('completes subcommands and profile names', async () => {
    expect(await complete('knock', '')).toEqual(lines('@far @fleet add close completion db group import lint list office open proxy remove rules serve show ssh-config web'.replace(/ /g, '\n')));
    expect(await complete('knock', 'o')).toEqual(['office', 'open']);
  });
  it('completes @groups, replying with the part after the @ (bash breaks words there)', async () => {
    expect(await complete('knock', '@f')).toEqual(['far', 'fleet']);
    expect(await complete('knock', 'close', '@fl')).toEqual(['fleet']);
    expect(await complete('knock', 'show', '@')).toEqual([]);
  });
  it('completes profile names after open, and options', async () => {
    expect(await complete('knock', 'open', '')).toEqual(['@far', '@fleet', 'db', 'office', 'web']);
    expect(await complete('knock', 'lint', '--pr')).toEqual(['--probe']);
    expect(await complete('knock', 'completion', 'z')).toEqual(['zsh']);
  });
  it('close offers only profiles with a close sequence; short options are -q, -v, -4, never --4', async () => {
    expect((await complete('knock', 'close', '')).sort()).toEqual(['@fleet', 'web']);
    expect((await complete('knock', '-n', 'close', '')).sort()).toEqual(['@fleet', 'web']);
    const options = await complete('knock', 'list', '-');
    expect(options).toEqual(expect.arrayContaining(['-q', '-v', '-4', '-6', '--ipv4', '--ipv6', '-V']));
    expect(options).not.toContain('--4');
    expect(options).not.toContain('--6');
  });
  it('completes the formats after rules NAME --format', async () => {
    expect(await complete('knock', 'rules', 'web', '--format', '')).toEqual(['fwknopd', 'iptables', 'knockd', 'nftables', 'puppet']);
    expect(await complete('knock', 'rules', 'web', '-f', 'i')).toEqual(['iptables']);
  });
});

describeShell('zsh')('zsh (compsys functions stubbed: _describe prints the values it is given)', () => {
  const complete = async (...words: string[]) => {
    const script = `compdef() { print -r -- "compdef $*" }
_describe() { local -a arr; arr=("\${(@P)\${@[-1]}}"); print -rl -- "\${arr[@]%%:*}" }
_files() { print -r -- "(files)" }
source ${ROOT}/completions/_knock
words=(${words.map((w) => `'${w}'`).join(' ')}); CURRENT=${words.length}
_knock`;
    const r = await runProcess('zsh', ['-f', '-c', script], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const [registration, ...rest] = r.stdout.split('\n');
    expect(registration).toBe('compdef _knock knock');
    return lines(rest.join('\n'));
  };

  it('completes profile names after show, subcommands first', async () => {
    expect(await complete('knock', 'show', '')).toEqual(['db', 'office', 'web']);
    expect(await complete('knock', 'o')).toEqual(['office', 'open']);
    expect(await complete('knock', 'open', '@')).toEqual(['@far', '@fleet']);
  });
  it('completes the formats after rules NAME --format', async () => {
    expect(await complete('knock', 'rules', 'web', '--format', '')).toEqual(['fwknopd', 'iptables', 'knockd', 'nftables', 'puppet']);
  });
  it('falls back to files where knock has nothing to offer', async () => {
    expect(await complete('knock', 'import', '')).toEqual(['(files)']);
    expect(await complete('knock', '--config', '')).toEqual(['(files)']);
    expect(await complete('knock', 'serve', '--knockd-conf', '')).toEqual(['(files)']);
  });
  it('close offers only profiles with a close sequence; -q/-v, never --4', async () => {
    expect((await complete('knock', 'close', '')).sort()).toEqual(['@fleet', 'web']);
    const options = await complete('knock', '-');
    expect(options).toEqual(expect.arrayContaining(['-q', '-v', '-4', '--ipv4']));
    expect(options).not.toContain('--4');
  });
});

describeShell('zsh')('zsh, for real: compinit autoloads _knock from $fpath, TAB in a pty', () => {
  it('lists the profile names after knock open', async () => {
    const fpathDir = mkdtempSync(path.join(os.tmpdir(), 'knock-fpath-'));
    try {
      copyFileSync(path.join(ROOT, 'completions', '_knock'), path.join(fpathDir, '_knock'));
      // zpty gives the interactive zsh a terminal; `zpty -r z out PATTERN` blocks until the listing arrives.
      const script = `zmodload zsh/zpty
zpty z 'TERM=dumb PS1="> " zsh -f -i'
zpty -w z 'fpath=(${fpathDir} $fpath); autoload -Uz compinit; compinit -u -D; setopt autolist'
zpty -wn z $'knock open \t'
zpty -r z out '*-- profile*'
print -r -- "$out"
zpty -d z`;
      const r = await runProcess('zsh', ['-f', '-c', script], { env: env(), timeoutMs: 15000 });
      expect(r.code).toBe(0);
      const listing = r.stdout.split(/\r?\n/).map((l) => l.replace(/\r/g, '').trim());
      // Each profile beside what it is: its host here (or its description), a group its members.
      expect(listing).toContainEqual(expect.stringMatching(/^@fleet +-- group: web db$/));
      // The same description once for all that share it (zsh groups them).
      expect(listing).toContainEqual(expect.stringMatching(/^(?=.*\bdb\b)(?=.*\boffice\b)(?=.*\bweb\b)[a-z ]+-- profile$/));
    } finally {
      rmSync(fpathDir, { recursive: true, force: true });
    }
  });

  it('shows a description beside each subcommand and option', async () => {
    const fpathDir = mkdtempSync(path.join(os.tmpdir(), 'knock-fpath-'));
    try {
      copyFileSync(path.join(ROOT, 'completions', '_knock'), path.join(fpathDir, '_knock'));
      const script = `zmodload zsh/zpty
zpty z 'TERM=dumb PS1="> " zsh -f -i'
zpty -w z 'fpath=(${fpathDir} $fpath); autoload -Uz compinit; compinit -u -D; setopt autolist; zstyle ":completion:*" list-separator "--"'
zpty -wn z $'knock lint --\t'
zpty -r z out '*--probe*sequence*'
print -r -- "$out"
zpty -d z`;
      const r = await runProcess('zsh', ['-f', '-c', script], { env: env(), timeoutMs: 15000 });
      expect(r.code).toBe(0);
      const listing = r.stdout.split(/\r?\n/).map((l) => l.replace(/\r/g, '').trim());
      expect(listing).toContainEqual(expect.stringMatching(/^--probe +-- also send one SYN to each TCP knock port/));
      expect(listing).toContainEqual(expect.stringMatching(/^--json +-- results as JSON on stdout$/));
    } finally {
      rmSync(fpathDir, { recursive: true, force: true });
    }
  });
});

describeShell('fish')('fish, for real', () => {
  const complete = async (line: string) => {
    const r = await runProcess('fish', ['--no-config', '-c', `source ${ROOT}/completions/knock.fish; complete -C '${line}'`], { env: env() });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    return lines(r.stdout).map((l) => l.split('\t')[0]);
  };

  it('completes subcommands, profile names and options', async () => {
    expect(await complete('knock o')).toEqual(['office', 'open']);
    expect(await complete('knock open ')).toEqual(['@far', '@fleet', 'db', 'office', 'web']);
    expect(await complete('knock close ')).toEqual(['@fleet', 'web']);
    expect(await complete('knock @fl')).toEqual(['@fleet']);
    expect(await complete('knock add x h 1 --for')).toEqual(['--force']);
    expect(await complete('knock -')).toEqual(expect.arrayContaining(['-q', '-v', '-4', '--ipv6']));
    expect(await complete('knock -')).not.toContain('--4');
  });
  it('offers file names where a file goes: import FILE, --config FILE, serve --knockd-conf FILE', async () => {
    const inHome = async (line: string) => {
      const r = await runProcess('fish', ['--no-config', '-c', `cd ${home.dir}; source ${ROOT}/completions/knock.fish; complete -C '${line}'`], { env: env() });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      return lines(r.stdout).map((l) => l.split('\t')[0]);
    };
    expect(await inHome('knock import kn')).toEqual(['knockd.conf', 'knockrc.yaml']);
    expect(await inHome('knock --config knockr')).toEqual(['knockrc.yaml']);
    expect(await inHome('knock serve --knockd-conf knockd')).toEqual(['knockd.conf']);
  });
  it('completes the formats after rules NAME --format', async () => {
    expect(await complete('knock rules web --format ')).toEqual(['fwknopd', 'iptables', 'knockd', 'nftables', 'puppet']);
  });
  it('shows descriptions: subcommands, options, profiles and groups', async () => {
    const described = async (line: string) => {
      const r = await runProcess('fish', ['--no-config', '-c', `source ${ROOT}/completions/knock.fish; complete -C '${line}'`], { env: env() });
      expect(r).toMatchObject({ code: 0, stderr: '' });
      return lines(r.stdout);
    };
    expect(await described('knock o')).toEqual(['office\tprofile', "open\tfire the profile's open sequence"]);
    expect(await described('knock lint --p')).toEqual(['--probe\talso send one SYN to each TCP knock port (in an order that forms no sequence) to find ports that answer']);
    expect(await described('knock open @f')).toEqual(['@far\tgroup: office', '@fleet\tgroup: web db']);
  });
});
