// Seals a model's thought into an opaque token (Responses' `encrypted_content`, Anthropic's
// thinking `signature`) that only this server process can open again: a client that sends the
// token back gets the very thought restored into the model's history, and a forged or altered one
// is told apart. AES-256-GCM with a key made at startup, so tokens do not outlive the process.
import { createCipheriv, createDecipheriv, randomBytes } from "node:crypto";

const PREFIX = "oserve1.";
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class ThoughtSeal {
  constructor(private readonly key: Buffer = randomBytes(32)) {}

  seal(thought: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv("aes-256-gcm", this.key, iv);
    const body = Buffer.concat([cipher.update(thought, "utf8"), cipher.final()]);
    return PREFIX + Buffer.concat([iv, cipher.getAuthTag(), body]).toString("base64url");
  }

  /** The thought a token of this process holds; null for anything else (another server's, altered, not ours at all). */
  open(token: string): string | null {
    if (!token.startsWith(PREFIX)) return null;
    const raw = Buffer.from(token.slice(PREFIX.length), "base64url");
    if (raw.length < IV_BYTES + TAG_BYTES) return null;
    try {
      const decipher = createDecipheriv("aes-256-gcm", this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString("utf8");
    } catch {
      return null;
    }
  }
}
