// What `npm test` hands the tests (scripts/run-tests.ts, step c): the test database, the stack's
// URLs and keys.

/** The variable `name`; a test run without it (not through `npm test`) is told so. */
export function testEnv(name: string): string {
  const value = Deno.env.get(name);
  if (!value) throw new Error(`${name} is not set: run the tests with \`npm test\``);
  return value;
}
