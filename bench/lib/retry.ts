// build/ may be mid-rebuild (another engineer's `npm run build:wasm`) while a benchmark
// reads it: loading a build is tried again a few times before it is given up on.

export async function retry<T>(f: () => Promise<T>, attempts = 5): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await f();
    } catch (err) {
      if (i >= attempts) throw err;
      console.warn(`${(err as Error).message}; retrying in 3 s`);
      await new Promise((r) => setTimeout(r, 3000));
    }
  }
}
