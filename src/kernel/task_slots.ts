// Per-task data that higher layers attach without the kernel knowing its type, and fork/exit/switch notifiers (the role of task_struct fields owned by subsystems, and of the sched_switch / fork / exit tracepoints).

/** A typed key for one kind of per-task data; values are plain, structured-cloneable data (snapshots copy them). */
export class SlotKey<V> {
  constructor(readonly name: string, readonly index: number, readonly init: () => V) {}
}

/** Notifiers run by the kernel: a task was created, exited, or replaced another on a CPU. */
export interface TaskHooks<T> {
  fork?(t: T): void;
  exit?(t: T): void;
  switchTo?(prev: T, next: T): void;
}

export class TaskSlots<T extends object> {
  private readonly keys: SlotKey<unknown>[] = [];
  private readonly values = new Map<T, unknown[]>();
  private readonly hooks: TaskHooks<T>[] = [];

  /** A new kind of per-task data; every task, existing or future, starts with `init()`. Names are unique. */
  register<V>(name: string, init: () => V): SlotKey<V> {
    if (this.keys.some((k) => k.name === name)) throw new Error(`task slot '${name}' is already registered`);
    const key = new SlotKey<V>(name, this.keys.length, init);
    this.keys.push(key as SlotKey<unknown>);
    return key;
  }

  get<V>(t: T, key: SlotKey<V>): V {
    const vs = this.row(t);
    if (!(key.index in vs)) vs[key.index] = key.init();
    return vs[key.index] as V;
  }

  set<V>(t: T, key: SlotKey<V>, v: V): void {
    this.row(t)[key.index] = v;
  }

  private row(t: T): unknown[] {
    let vs = this.values.get(t);
    if (vs === undefined) { vs = []; this.values.set(t, vs); }
    return vs;
  }

  addHooks(h: TaskHooks<T>): void {
    this.hooks.push(h);
  }

  fork(t: T): void {
    for (const h of this.hooks) h.fork?.(t);
  }

  exit(t: T): void {
    for (const h of this.hooks) h.exit?.(t);
  }

  switchTo(prev: T, next: T): void {
    for (const h of this.hooks) h.switchTo?.(prev, next);
  }

  /** A deep copy of every task's values, by index in `tasks`. */
  save(tasks: readonly T[]): unknown {
    return tasks.map((t) => structuredClone(this.values.get(t) ?? []));
  }

  restore(s: unknown, tasks: readonly T[]): void {
    const rows = s as unknown[][];
    this.values.clear();
    tasks.forEach((t, i) => this.values.set(t, structuredClone(rows[i])));
  }
}
