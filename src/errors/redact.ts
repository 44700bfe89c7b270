// PURE: an error's text as a client may read it: file paths cut to their file name and URLs to their
// host, so that a failed load does not tell every client where the server keeps its models, nor a
// download URL's query (a token, often). The whole text stays in the server's log.

/** A URL (any scheme with //), or an absolute path of two or more parts (/a/b, C:\\a\\b): one pass, so a URL is never read as a path. */
const URL_OR_PATH = /\b[a-z][a-z0-9+.-]*:\/\/[^\s'"<>()]+|(?:[A-Za-z]:)?(?:[/\\][^\s'"<>()/\\:]+){2,}/gi;

export function redactForClient(text: string): string {
  return text.replace(URL_OR_PATH, (found) => {
    if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(found)) return `…/${found.split(/[/\\]/).at(-1)}`;
    // What ends a sentence is not the URL's.
    const url = found.replace(/[.,:;!?]+$/, "");
    let origin: string;
    try {
      origin = new URL(url).origin;
    } catch {
      origin = "…";
    }
    return `${origin}/…${found.slice(url.length)}`;
  });
}
