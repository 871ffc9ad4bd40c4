// `npm run certificate:fonts`: copies the certificate PDF's fonts from the npm package
// dejavu-fonts-ttf (pinned below) into supabase/functions/certificate-pdf/fonts/, with the fonts'
// license, so they ship with the function (config.toml's static_files) and are never edited by
// hand. It fetches the package with `npm pack` and checks every file against its pinned SHA-256;
// scripts/certificate_fonts_test.ts checks the committed copies against the same digests.
import { join } from "node:path";
import { root } from "./lib/paths.ts";

export const FONT_PACKAGE = "dejavu-fonts-ttf@2.37.3";
export const fontsDir = join(root, "supabase", "functions", "certificate-pdf", "fonts");

/** The files taken from the package (its path -> the copy's name), and their SHA-256. */
export const fontFiles: { from: string; to: string; sha256: string }[] = [
  {
    from: "package/ttf/DejaVuSerif.ttf",
    to: "DejaVuSerif.ttf",
    sha256: "42d1edeb7952f31b1f96d767ed7030b08a39e0c372b0071641518864e2bffb51",
  },
  {
    from: "package/ttf/DejaVuSerif-Bold.ttf",
    to: "DejaVuSerif-Bold.ttf",
    sha256: "c47b5527bcdc8dcf9ea8c77054454c5a884beaca2f44851a2a823ee639cbf07f",
  },
  {
    from: "package/LICENSE",
    to: "LICENSE",
    sha256: "7a083b136e64d064794c3419751e5c7dd10d2f64c108fe5ba161eae5e5958a93",
  },
];

export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stderr: "inherit" }).output();
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed`);
  return new TextDecoder().decode(out.stdout).trim();
}

if (import.meta.main) {
  const tmp = await Deno.makeTempDir();
  try {
    const tarball = (await run("npm", ["pack", FONT_PACKAGE, "--silent"], tmp)).split("\n").at(-1)!;
    await run("tar", ["xzf", tarball], tmp);
    await Deno.mkdir(fontsDir, { recursive: true });
    for (const f of fontFiles) {
      const bytes = await Deno.readFile(join(tmp, f.from));
      const digest = await sha256(bytes);
      if (digest !== f.sha256) {
        throw new Error(`${FONT_PACKAGE} ${f.from}: SHA-256 ${digest}, expected ${f.sha256}`);
      }
      await Deno.writeFile(join(fontsDir, f.to), bytes);
      console.log(`${f.to} ← ${FONT_PACKAGE}/${f.from.replace(/^package\//, "")}`);
    }
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
