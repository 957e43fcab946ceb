// Type-based alias analysis (TBAA) metadata for the LLVM backend, added to the printed IR.
//
// Why: without it every store may modify every load's memory. In `v[k] = false` over a
// Vec<bool> whose address has escaped into the runtime, LLVM must then assume the i8 element
// store can change the Vec's own {ptr, len, cap} and reload both (and redo the bounds check)
// on each iteration; gcc, under C's strict aliasing, keeps them in registers.
//
// How: llvm-bindings 0.4.2 cannot attach metadata, so emit.ts names the address of each
// access it knows the type of with TBAA_MARK (`%tbaa-`, `%tbaa-1`, ...: a name no Zeta
// identifier produces) and `withTbaa` appends `!tbaa` to the loads and stores through those
// addresses in the textual IR. The tag comes from the access's own LLVM type: one scalar type
// node per i8/i16/i32/i64/float/double and one for every pointer, under one root; aggregate
// accesses stay untagged. Untagged accesses (locals, derefs of raw pointers, memcpy, atomics,
// everything the runtime does behind a call) may alias anything, so only two *tagged*
// accesses of different scalar types are assumed apart.
//
// Which addresses are marked (emit.ts): the fields of a Vec or String header, the elements
// of a Vec or an array, and class fields, when of a plain scalar type (integers, floats,
// bool, pointers, Box). Zeta has no unions and no pointer casts between types in safe code,
// so such memory only ever holds that one type while the code runs. The exception is memory
// reached through pointers made by unsafe integer casts or pointer arithmetic (spec §9),
// which the spec leaves to the programmer: reading a Vec<i64> through a *Vec<f64> made from
// an integer is undefined here as it is in the C backend's output under gcc's strict
// aliasing (which assumes much more: every local, every deref). `i8` is not C's
// "omnipotent char": no emitted code reads other memory as bytes; the runtime's byte copies
// happen behind calls.

/** The name emit.ts gives to an address whose loads and stores get a TBAA tag. */
export const TBAA_MARK = 'tbaa-';

/**
 * A load or a store through a marked address, as LLVM 14 prints them:
 * `%v = load TY, TY* %tbaa-N, align A` and `store TY V, TY* %tbaa-N, align A`
 * (the back-reference makes TY the access type even when it contains commas or spaces).
 */
const ACCESS = /^(\s*(?:%[-\w.]+ = load (.+), \2|store (.+) .+, \3)\* %tbaa-\d*(?:, align \d+)?)$/gm;

/** The scalar type node of an access type, or null for an aggregate (left untagged). */
function scalarOf(ty: string): string | null {
  if (ty.endsWith('*')) return 'any pointer';
  if (/^i\d+$/.test(ty)) return ty;
  if (ty === 'float' || ty === 'double') return ty;
  return null;
}

/**
 * The module's textual IR with `!tbaa` on the loads and stores through marked addresses and
 * the type tree appended (numbered after the module's own metadata). Text without marks is
 * returned unchanged.
 */
export function withTbaa(ir: string): string {
  if (!ir.includes(`%${TBAA_MARK}`)) return ir;
  let next = 0;
  for (const m of ir.matchAll(/^!(\d+) = /gm)) next = Math.max(next, Number(m[1]) + 1);
  const root = next++;
  const tags = new Map<string, number>();
  const defs: string[] = [`!${root} = !{!"Zeta TBAA"}`];
  const tagOf = (scalar: string): number => {
    let t = tags.get(scalar);
    if (t === undefined) {
      const node = next++;
      t = next++;
      defs.push(`!${node} = !{!"${scalar}", !${root}, i64 0}`, `!${t} = !{!${node}, !${node}, i64 0}`);
      tags.set(scalar, t);
    }
    return t;
  };
  const out = ir.replace(ACCESS, (line: string, _all: string, loadTy?: string, storeTy?: string) => {
    const scalar = scalarOf(loadTy ?? storeTy ?? '');
    return scalar ? `${line}, !tbaa !${tagOf(scalar)}` : line;
  });
  return tags.size ? `${out}\n${defs.join('\n')}\n` : out;
}
