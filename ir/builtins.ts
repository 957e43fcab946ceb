// The built-in operations (spec §8, §10) as they appear in Lcore `Builtin` and Lcfg
// `Builtin` nodes. One table, shared by lower-builtins, both backends and the reference
// interpreter, so an op means the same thing everywhere.
//
// Receivers are passed as pointers (`*T`, or `*mut T` when the op changes them), so a
// method call never copies its receiver. `T` below is the receiver's element type, found
// from the argument types. Ordering arguments are i32 constants (ORDERING below).

export interface BuiltinOp {
  /** argument shapes, for documentation and validation: 'recv*' / 'recv*mut' / 'T' / 'i64' ... */
  readonly args: readonly string[];
  readonly doc: string;
  /** may not return (panics/exits) */
  readonly diverges?: boolean;
}

export const BUILTINS = {
  // printing and process (spec §10)
  print: { args: ['v'], doc: 'prints an integer, float, bool, str or String (floats as spec §10)' },
  println: { args: ['v'], doc: 'print, then a newline' },
  print_fixed: { args: ['f64', 'i32'], doc: 'prints a float with exactly N decimals' },
  panic: { args: ['str'], doc: 'flushes stdout, prints `panic: msg` on stderr, exits 101', diverges: true },
  exit: { args: ['i32'], doc: 'flushes stdout and exits with the status', diverges: true },
  arg_count: { args: [], doc: 'number of program arguments after the program name (i64)' },
  arg: { args: ['i64'], doc: 'the i-th program argument as a new String (panics out of range)' },
  // math
  sqrt: { args: ['F'], doc: 'square root of f32/f64' },
  floor: { args: ['F'], doc: 'floor of f32/f64' },
  ceil: { args: ['F'], doc: 'ceiling of f32/f64' },
  abs: { args: ['N'], doc: 'absolute value (integers wrap: abs(MIN) = MIN)' },
  min: { args: ['N', 'N'], doc: 'minimum' },
  max: { args: ['N', 'N'], doc: 'maximum' },
  // Option (Some/None/IsSome/payload are IR nodes; these are the methods)
  'option.unwrap': { args: ['recv*'], doc: 'the payload, or panic "unwrap of None"' },
  // Box
  'box.new': { args: ['T'], doc: 'a Box holding the value (moved in)' },
  // Vec
  'vec.new': { args: [], doc: 'an empty Vec<T> (T from the result type)' },
  'vec.with_capacity': { args: ['i64'], doc: 'an empty Vec<T> with room for n' },
  'vec.filled': { args: ['i64', 'T'], doc: 'n copies of v' },
  'vec.push': { args: ['recv*mut', 'T'], doc: 'appends (value moved in)' },
  'vec.pop': { args: ['recv*mut'], doc: 'removes the last element: Option<T>' },
  'vec.len': { args: ['recv*'], doc: 'length (i64)' },
  'vec.clear': { args: ['recv*mut'], doc: 'drops every element; length 0' },
  // String
  'string.from': { args: ['str'], doc: 'a new String with the text' },
  'string.append': { args: ['recv*mut', 'v'], doc: 'appends str/String/int/float/bool in printed form' },
  'string.len': { args: ['recv*'], doc: 'length in bytes (i64)' },
  'string.parse_i64': { args: ['recv*'], doc: 'Option<i64> of the whole text as a decimal integer' },
  'str.len': { args: ['str'], doc: 'length in bytes (i64)' },
  // regions (spec §6)
  'region.new': { args: ['i64'], doc: 'reserves a region block of n usable bytes (panics if it cannot): Region' },
  'region.free': { args: ['region'], doc: 'releases the whole block, O(1)' },
  'region.alloc': { args: ['region', 'T'], doc: 'bump-allocates the value: Option<*mut T>, None when full' },
  // threads and concurrency (spec §8)
  spawn: { args: ['concurrent fn() -> T'], doc: 'starts a thread: Thread<T>' },
  'thread.join': { args: ['recv*mut'], doc: 'waits for the thread and returns its T (again on later joins)' },
  'channel.new': { args: ['i64'], doc: 'a bounded channel of capacity n' },
  'channel.send': { args: ['recv*', 'T'], doc: 'blocks while full; false once closed' },
  'channel.recv': { args: ['recv*'], doc: 'blocks while empty; None once closed and drained' },
  'channel.close': { args: ['recv*'], doc: 'closes the channel' },
  'mutex.new': { args: ['T'], doc: 'a mutex protecting the value' },
  'mutex.lock': { args: ['recv*'], doc: 'locks: Guard<T> (unlocks when dropped)' },
  'guard.value': { args: ['recv*'], doc: '*mut T to the protected value' },
  'atomic.new': { args: ['T'], doc: 'an atomic integer or bool' },
  'atomic.load': { args: ['recv*', 'ordering'], doc: 'load' },
  'atomic.store': { args: ['recv*', 'T', 'ordering'], doc: 'store' },
  'atomic.fetch_add': { args: ['recv*', 'T', 'ordering'], doc: 'add, returns the old value (wrapping)' },
  'atomic.fetch_sub': { args: ['recv*', 'T', 'ordering'], doc: 'subtract, returns the old value (wrapping)' },
  'atomic.swap': { args: ['recv*', 'T', 'ordering'], doc: 'swap, returns the old value' },
  'atomic.compare_exchange': { args: ['recv*', 'T', 'T', 'ordering'], doc: 'CAS: bool' },
} as const satisfies Record<string, BuiltinOp>;

export type BuiltinName = keyof typeof BUILTINS;
export const isBuiltin = (op: string): op is BuiltinName => Object.hasOwn(BUILTINS, op);

/** Memory orderings (spec §8), passed to atomic ops as i32 constants. */
export const ORDERING = { Relaxed: 0, Acquire: 2, Release: 3, AcqRel: 4, SeqCst: 5 } as const;

/** Free functions callable by name (spec §10); `Some`/`None` are handled as Option constructors. */
export const FREE_BUILTINS = ['print', 'println', 'print_fixed', 'panic', 'exit', 'arg_count', 'arg',
  'sqrt', 'floor', 'ceil', 'abs', 'min', 'max', 'spawn', 'Some', 'None'] as const;
