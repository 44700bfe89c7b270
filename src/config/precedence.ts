// PURE: which value a setting takes: the first given of the layers, in order (flags > env > the
// config file > defaults, or a model's own table before the server's).

/** A layer of settings by flag name; `undefined` or blank means not given there. */
export type Layer<K extends string> = Partial<Record<K, string | undefined>>;

/**
 * The first layer's value that is not blank, trimmed. An empty value is no value: `OSERVE_API_KEY=`
 * leaves the config file's key in force, rather than turning it off.
 */
export function firstGiven<K extends string>(layers: readonly Layer<K>[]): (key: K) => string | undefined {
  return (key) => {
    for (const layer of layers) {
      const raw = layer[key];
      const text = raw === undefined ? "" : String(raw).trim();
      if (text !== "") return text;
    }
    return undefined;
  };
}
