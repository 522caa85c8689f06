/**
 * Plain objects built by a constructor: for the objects a read makes by the thousand (refs,
 * resources, relationships), which callers must see as plain objects.
 *
 * V8 keeps, for each object literal in the code, a record of how many of its objects outlive a
 * young collection; once most do, it allocates that literal's objects in the old generation from
 * then on. A batch write holds its objects for the whole batch, so the literals it shares with
 * reads get that decision, and every read after it fills the old generation with objects that die
 * at once and makes each young collection slower (on this machine, cold gets ran at half speed
 * after a bulk load). Objects made by `new` carry no such record.
 */

/**
 * `init` as a constructor of plain objects: `new C(...args)` runs `init` on an object whose
 * prototype is Object.prototype, as a literal's is. `init` assigns every field, always in the same
 * order, so all its objects share one hidden class.
 */
export function plainConstructor<A extends unknown[], T extends object>(init: (this: { -readonly [K in keyof T]: T[K] }, ...args: A) => void): new (...args: A) => T {
  const constructor = init as unknown as { prototype: object; new (...args: A): T };
  constructor.prototype = Object.prototype;
  return constructor;
}
