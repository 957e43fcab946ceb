// Benchmarks' probe into the pipeline: each pass with every function the driver calls on it
// wrapped by `wrap(passName, f)` (a function pass in a sweep is called through `perFunction`
// — prepare, each function, assemble — never through `run`). Used by bench-compile (CPU
// time per pass) and bench-alloc (bytes per pass).

export function instrumentPasses(passes, wrap) {
  return passes.map((p) => ({
    ...p,
    run: wrap(p.name, p.run),
    ...(p.perFunction && {
      perFunction: {
        ...p.perFunction,
        prepare: wrap(p.name, p.perFunction.prepare),
        runFunction: wrap(p.name, p.perFunction.runFunction),
        assemble: wrap(p.name, p.perFunction.assemble),
      },
    }),
  }));
}
