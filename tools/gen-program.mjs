// Generates a large valid Zeta program of about N lines, for the compile-speed benchmark.
// The program is ordinary code (functions, classes, loops, Vec/String, Option) and
// deterministic: it prints one checksum, so a run can be checked too.
//
//   node tools/gen-program.mjs LINES > big.zeta

export function generateProgram(targetLines) {
  const out = [];
  out.push('class Acc(total: i64, count: i64) {');
  out.push('    mut add(v: i64) { total = total + v; count += 1; }');
  out.push('    mean() -> i64 { if count == 0 { return 0; } return total / count; }');
  out.push('}');
  out.push('');
  let fns = 0;
  // each unit is a fixed 24-line block
  while (out.length + 30 < targetLines) {
    const i = fns++;
    out.push(`unit${i}(seed: i64) -> i64 {`);
    out.push(`    mut acc := Acc { total: 0, count: 0 };`);
    out.push(`    mut v := Vec<i64>::with_capacity(8);`);
    out.push(`    for k in 0..8i64 {`);
    out.push(`        x := (seed * ${(i % 97) + 3} + k) % 1000;`);
    out.push(`        v.push(x);`);
    out.push(`        if x % 2 == 0 {`);
    out.push(`            acc.add(x);`);
    out.push(`        } else if x % 3 == 0 {`);
    out.push(`            acc.add(x / 3);`);
    out.push(`        } else {`);
    out.push(`            acc.add(1);`);
    out.push(`        }`);
    out.push(`    }`);
    out.push(`    mut best: Option<i64> := None;`);
    out.push(`    mut j := 0;`);
    out.push(`    while j < v.len() {`);
    out.push(`        if v[j] > (best ?? -1) { best = Some(v[j]); }`);
    out.push(`        j += 1;`);
    out.push(`    }`);
    out.push(`    s := String::from("u${i}");`);
    out.push(`    return acc.mean() + (best ?? 0) + s.len();`);
    out.push(`}`);
    out.push('');
  }
  out.push('main() {');
  out.push('    mut sum: i64 := 0;');
  for (let i = 0; i < fns; i++) out.push(`    sum = sum + unit${i}(${i});`);
  out.push('    println(sum);');
  out.push('}');
  return out.join('\n') + '\n';
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.stdout.write(generateProgram(Number(process.argv[2] ?? 100000)));
}
