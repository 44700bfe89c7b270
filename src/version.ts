import pkg from "../package.json" with { type: "json" };

/** The package version; bundlers inline it, so the compiled binary carries it too. */
export const VERSION: string = pkg.version;
