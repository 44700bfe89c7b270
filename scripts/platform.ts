import { execFileSync } from "node:child_process";

/**
 * `bun` arguments that compile the single entry into `outfile`. node-llama-cpp stays outside the
 * bundle and is imported from libexec/ at run time (src/engine/node-llama-cpp.ts).
 */
export function compileArgs(outfile: string): string[] {
  return ["build", "src/cli.ts", "--compile", "--external", "node-llama-cpp", "--define", "OSERVE_COMPILED=true", "--outfile", outfile];
}

/** The host's name in node-llama-cpp's prebuilt packages: linux-x64, mac-arm64-metal, win-x64, … */
export function hostPlatform(): string {
  const os = { linux: "linux", darwin: "mac", win32: "win" }[process.platform as string];
  if (!os) throw new Error(`no prebuilt node-llama-cpp binaries for ${process.platform}`);
  return os === "mac" && process.arch === "arm64" ? "mac-arm64-metal" : `${os}-${process.arch}`;
}

/** node-llama-cpp's prebuilt packages for this host: the CPU one, plus CUDA or Vulkan where present. */
export function hostPlatformPackages(): string[] {
  const base = hostPlatform();
  const packages = [`@node-llama-cpp/${base}`];
  if (base.startsWith("linux-x64") || base.startsWith("win-x64")) {
    if (has("nvidia-smi")) packages.push(`@node-llama-cpp/${base}-cuda`);
    if (has("vulkaninfo")) packages.push(`@node-llama-cpp/${base}-vulkan`);
  }
  return packages;
}

function has(command: string): boolean {
  try {
    execFileSync(command, ["--version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}
