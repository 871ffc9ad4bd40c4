// `npm run lockfile:platforms`: our registry mirror serves only the Linux builds of deno and the
// Supabase CLI, so `npm install` leaves the other platforms' optional binary packages out of
// package-lock.json, and `npm ci` then rejects the lockfile. This adds the missing entries exactly
// as npm writes them on a full registry (optional, gated by os/cpu/libc), so `npm ci` works here
// and on macOS or Windows. Run it after `npm install` whenever deno or supabase is bumped.
import { join } from "node:path";
import { root } from "./lib/paths.ts";

type Entry = {
  version: string;
  dev?: boolean;
  optional?: boolean;
  optionalDependencies?: Record<string, string>;
  [k: string]: unknown;
};
const file = join(root, "package-lock.json");
const lock = JSON.parse(await Deno.readTextFile(file)) as { packages: Record<string, Entry> };

function platform(name: string, siblings: string[]) {
  const parts = name.split("/").pop()!.split("-");
  const os = parts.includes("darwin") ? "darwin" : parts.includes("linux") ? "linux" : "win32";
  const cpu = parts.includes("arm64") ? "arm64" : "x64";
  let libc: string | undefined;
  if (os === "linux") {
    libc = parts.includes("musl")
      ? "musl"
      : parts.includes("glibc") || siblings.some((s) => s.endsWith("-musl"))
      ? "glibc"
      : undefined;
  }
  return { cpu: [cpu], ...(libc ? { libc: [libc] } : {}), os: [os] };
}

let added = 0;
for (const [path, entry] of Object.entries(lock.packages)) {
  const optional = entry.optionalDependencies ?? {};
  const names = Object.keys(optional);
  for (const name of names) {
    const key = `node_modules/${name}`;
    if (lock.packages[key] || !/(darwin|linux|win32|windows)/.test(name)) continue;
    lock.packages[key] = {
      version: optional[name],
      ...platform(name, names),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
    };
    added++;
    console.log(`added ${key}@${optional[name]} (for ${path})`);
  }
}
lock.packages = Object.fromEntries(
  Object.entries(lock.packages).sort(([a], [b]) => a.localeCompare(b)),
);
await Deno.writeTextFile(file, JSON.stringify(lock, null, 2) + "\n");
console.log(`${added} platform entries added`);
