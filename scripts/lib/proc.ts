// Running commands: capture, stream, and report failures with their output.
export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: Record<string, string>;
  stdin?: string;
  /** Print the output as it arrives instead of capturing it. */
  inherit?: boolean;
}

export async function run(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
  const command = new Deno.Command(cmd[0], {
    args: cmd.slice(1),
    cwd: opts.cwd,
    env: opts.env,
    stdin: opts.stdin === undefined ? "null" : "piped",
    stdout: opts.inherit ? "inherit" : "piped",
    stderr: opts.inherit ? "inherit" : "piped",
  });
  const child = command.spawn();
  if (opts.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(opts.stdin));
    await writer.close();
  }
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: opts.inherit ? "" : dec.decode(out.stdout),
    stderr: opts.inherit ? "" : dec.decode(out.stderr),
  };
}

export class CommandError extends Error {
  constructor(readonly cmd: string[], readonly result: RunResult) {
    super(
      `${cmd.join(" ")} exited with ${result.code}\n${result.stdout}${result.stderr}`.trimEnd(),
    );
  }
}

/** Runs and throws CommandError on a non-zero exit. */
export async function must(cmd: string[], opts: RunOptions = {}): Promise<RunResult> {
  const result = await run(cmd, opts);
  if (result.code !== 0) throw new CommandError(cmd, result);
  return result;
}

export async function which(name: string): Promise<string | null> {
  const r = await run(["sh", "-c", `command -v ${name}`]);
  return r.code === 0 ? r.stdout.trim() : null;
}

export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

export async function portOpen(port: number): Promise<boolean> {
  try {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * Colour only for a person at a terminal: never when stdout is a pipe or a file, nor when NO_COLOR
 * is set to anything but the empty string (https://no-color.org).
 */
export const colorEnabled = (): boolean => !Deno.env.get("NO_COLOR") && Deno.stdout.isTerminal();

/** `text` in an ANSI SGR colour (32 green, 31 red, 36 cyan) when colour is enabled. */
export const paint = (code: number, text: string): string =>
  colorEnabled() ? `\u001b[${code}m${text}\u001b[0m` : text;

export function log(message: string) {
  console.log(`${paint(36, "›")} ${message}`);
}

/**
 * Starts a long-running service in its own session (so stopping it stops its children), its output
 * appended to `logFile`, and returns its pid. `ready` is polled every 100 ms for up to 30 s; if the
 * service exits or never gets ready, it is stopped and the error shows the end of its log.
 */
export async function startService(
  what: string,
  cmd: string[],
  opts: {
    env: Record<string, string>;
    clearEnv?: boolean;
    logFile: string;
    ready: () => Promise<boolean>;
  },
): Promise<number> {
  const child = new Deno.Command("setsid", {
    args: ["sh", "-c", `exec "$@" >>"$0" 2>&1`, opts.logFile, ...cmd],
    env: opts.env,
    clearEnv: opts.clearEnv,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  child.unref();
  let exited = false;
  child.status.then(() => (exited = true));
  for (let i = 0; i < 300; i++) {
    if (await opts.ready()) return child.pid;
    if (exited) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  try {
    Deno.kill(-child.pid, "SIGTERM");
  } catch { /* already gone */ }
  let tail = "";
  try {
    tail = (await Deno.readTextFile(opts.logFile)).split("\n").slice(-15).join("\n");
  } catch { /* no log yet */ }
  throw new Error(`${what} did not start; see ${opts.logFile}\n${tail}`.trimEnd());
}
