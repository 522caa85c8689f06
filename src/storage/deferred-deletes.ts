/**
 * Frees the files LevelDB deletes without holding LevelDB's lock while the disk frees them.
 *
 * LevelDB 1.20 (the one classic-level builds) deletes the files a compaction made obsolete while
 * it holds the database's mutex, and every read and write takes that mutex: they all wait for the
 * deletes. Where freeing a file costs time (on this machine's ext4, mounted with `discard`, about
 * 1 ms per MB: 3 ms for a 2 MB table), a compaction that rewrites 17 MB stalls every get and write
 * for 25 to 75 ms, and a synchronous get stalls the event loop with them. So each table and log
 * file gets a second name in `held/` inside the store's directory as soon as it appears; LevelDB's
 * delete then only removes a name, and the blocks are freed here when the second name goes, one
 * file at a time, on the thread pool, with no lock of LevelDB's held.
 *
 * LevelDB never reuses a file number, so a name it deleted never comes back: a held name whose
 * file LevelDB no longer has is safe to remove. Changes to the directory are seen as they happen
 * (fs.watch), and the whole directory is swept at start, every few seconds (in case an event was
 * missed) and at stop, which removes every held name; a crash leaves held names for the next
 * start's sweep. A file LevelDB makes and deletes before it is held is deleted the slow way, and
 * on a file system without hard links nothing is held. LevelDB ignores the `held` directory (it
 * reads only names of its own form).
 */
import { EventEmitter } from 'node:events';
import { watch, type FSWatcher } from 'node:fs';
import { link, mkdir, readdir, rmdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';

/** The directory of second names, inside the store's directory. */
export const HELD_DIR = 'held';

/** LevelDB's table files (`.ldb`, `.sst` before 1.14) and write-ahead logs: the files it deletes as it goes. */
const DELETED_AS_IT_GOES = /^\d+\.(?:ldb|sst|log)$/;

const SWEEP_MS = 5_000;

function isCode(err: unknown, code: string): boolean {
  return (err as { code?: unknown }).code === code;
}

/**
 * Second names for a LevelDB directory's files. Emits `held` (a file got its second name) and
 * `freed` (a file LevelDB deleted was freed), each with the file's name.
 */
export class DeferredDeletes extends EventEmitter {
  readonly #dir: string;
  readonly #held: string;
  #watcher: FSWatcher | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** One change at a time, in the order they were seen. */
  #work: Promise<void> = Promise.resolve();
  #stopped = false;
  #gaveUp = false;

  private constructor(dir: string) {
    super();
    this.#dir = dir;
    this.#held = join(dir, HELD_DIR);
  }

  /** Starts holding the files of the LevelDB directory `dir` (which exists). */
  static async start(dir: string): Promise<DeferredDeletes> {
    const deletes = new DeferredDeletes(dir);
    await mkdir(deletes.#held, { recursive: true });
    try {
      deletes.#watcher = watch(dir, { persistent: false }, (event, name) => {
        if (event === 'rename' && name !== null && DELETED_AS_IT_GOES.test(name)) void deletes.#queue(() => deletes.#settle(name));
      });
      // Without events the sweeps still hold and free files, only later.
      deletes.#watcher.on('error', () => deletes.#stopWatching());
    } catch {
      deletes.#watcher = undefined;
    }
    deletes.#timer = setInterval(() => void deletes.#queue(() => deletes.#sweep()), SWEEP_MS).unref();
    await deletes.#queue(() => deletes.#sweep());
    return deletes;
  }

  /** Resolves once every change seen so far is settled. */
  settled(): Promise<void> {
    return this.#queue(async () => undefined);
  }

  /** Stops watching and removes every held name (freeing the files LevelDB deleted), then the held directory. */
  async stop(): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#stopWatching();
    clearInterval(this.#timer);
    await this.#queue(async () => {
      for (const name of await readdir(this.#held)) await this.#remove(name);
      await rmdir(this.#held).catch(() => undefined);
    });
  }

  #stopWatching(): void {
    this.#watcher?.close();
    this.#watcher = undefined;
  }

  /** Holds no more files; what is held is still freed at stop. */
  #giveUp(): void {
    this.#stopWatching();
    clearInterval(this.#timer);
    this.#gaveUp = true;
  }

  #queue(step: () => Promise<void>): Promise<void> {
    // A failure (a disk error) leaves that file to LevelDB or to the next sweep; it never stops the queue.
    const next = this.#work.then(step).catch(() => undefined);
    this.#work = next;
    return next;
  }

  /** Holds `name` if LevelDB has it, frees its held name if LevelDB deleted it. */
  async #settle(name: string): Promise<void> {
    if (this.#stopped || this.#gaveUp) return;
    try {
      await link(join(this.#dir, name), join(this.#held, name));
      this.emit('held', name);
    } catch (err) {
      if (isCode(err, 'ENOENT')) await this.#free(name);
      else if (!isCode(err, 'EEXIST')) this.#giveUp(); // a file system without hard links: LevelDB deletes as it always has
    }
  }

  /** Holds every file LevelDB has, and frees every held file it deleted. */
  async #sweep(): Promise<void> {
    if (this.#stopped || this.#gaveUp) return;
    const present = new Set((await readdir(this.#dir)).filter((name) => DELETED_AS_IT_GOES.test(name)));
    const held = new Set(await readdir(this.#held));
    for (const name of held) if (!present.has(name)) await this.#free(name);
    for (const name of present) if (!held.has(name)) await this.#settle(name);
  }

  /** Frees a file LevelDB deleted: removes its held name, if it has one. */
  async #free(name: string): Promise<void> {
    if (await this.#remove(name)) this.emit('freed', name);
  }

  /** Removes a held name; false when there was none. */
  async #remove(name: string): Promise<boolean> {
    try {
      await unlink(join(this.#held, name));
      return true;
    } catch (err) {
      if (isCode(err, 'ENOENT')) return false;
      throw err;
    }
  }
}
