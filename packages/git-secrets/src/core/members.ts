import { createHash } from "node:crypto";
import { GitSecretsError } from "../errors.js";
import { ascii, ByteReader, concatBytes, startsWith, toHex } from "./bytes.js";
import type { Sodium } from "./sodium.js";

/**
 * Members: people (or CI runners) who unlock a repository with a key pair of their own
 * instead of a shared key file. A member's public key is an X25519 key (`git-seal keygen`),
 * or an SSH ed25519 key converted to X25519 with libsodium
 * (`crypto_sign_ed25519_pk_to_curve25519`). The repository key is sealed to it with
 * `crypto_box_seal` (an anonymous sender: X25519 + XSalsa20-Poly1305 with an ephemeral key).
 */
export interface MemberPublicKey {
  /** 16 hex digits: BLAKE2b of the X25519 public key; names the member's files. */
  readonly memberId: string;
  /** The X25519 public key the repository key is sealed to. */
  readonly publicKey: Uint8Array;
  /** Where the key came from: a git-seal identity or an SSH ed25519 key. */
  readonly kind: "git-seal-x25519" | "ssh-ed25519";
  /** The comment of the key line (`alice@laptop`), or `""`. */
  readonly label: string;
}

/** A member's private key, as `keygen` writes it (or converted from an SSH ed25519 private key). */
export interface MemberIdentity extends MemberPublicKey {
  readonly secretKey: Uint8Array;
}

export const IDENTITY_MAGIC = ascii("\0GITSEALID");
const IDENTITY_VERSION = 1;
const PUBLIC_PREFIX = "git-seal-x25519";

export function memberId(publicKey: Uint8Array): string {
  return toHex(
    createHash("blake2b512")
      .update("git-seal member id v1\0")
      .update(publicKey)
      .digest()
      .subarray(0, 8),
  );
}

function invalid(message: string): GitSecretsError {
  return new GitSecretsError("INVALID_ARGUMENT", message);
}

/** A new X25519 key pair (libsodium `crypto_box_keypair`). */
export function generateIdentity(sodium: Sodium, label = ""): MemberIdentity {
  const pair = sodium.crypto_box_keypair();
  return {
    memberId: memberId(pair.publicKey),
    publicKey: pair.publicKey,
    secretKey: pair.privateKey,
    kind: "git-seal-x25519",
    label,
  };
}

/** The identity file: magic, version, 32-byte secret key, 32-byte public key, label (UTF-8). */
export function serializeIdentity(identity: MemberIdentity): Uint8Array {
  return concatBytes([
    IDENTITY_MAGIC,
    Uint8Array.of(IDENTITY_VERSION),
    identity.secretKey,
    identity.publicKey,
    new TextEncoder().encode(identity.label),
  ]);
}

/** Parses an identity file (git-seal's) or an unencrypted OpenSSH ed25519 private key. */
export function parseIdentity(sodium: Sodium, data: Uint8Array): MemberIdentity {
  if (startsWith(data, IDENTITY_MAGIC)) {
    const r = new ByteReader(data, () => corrupt("the identity file is truncated"));
    r.bytes(IDENTITY_MAGIC.length);
    const version = r.u8();
    if (version !== IDENTITY_VERSION) {
      throw new GitSecretsError(
        "UNSUPPORTED_VERSION",
        `identity file version ${version} is newer than this git-seal understands`,
      );
    }
    const secretKey = r.bytes(32).slice();
    const publicKey = r.bytes(32).slice();
    const label = new TextDecoder().decode(r.bytes(r.remaining));
    const derived = sodium.crypto_scalarmult_base(secretKey);
    if (Buffer.compare(Buffer.from(derived), Buffer.from(publicKey)) !== 0) {
      throw corrupt("the identity file is damaged: its public key does not match its secret key");
    }
    return { memberId: memberId(publicKey), publicKey, secretKey, kind: "git-seal-x25519", label };
  }
  const text = new TextDecoder().decode(data);
  if (text.includes("-----BEGIN OPENSSH PRIVATE KEY-----"))
    return parseOpenSshPrivate(sodium, text);
  throw corrupt(
    "not an identity: expected a git-seal identity (git-seal keygen) or an OpenSSH ed25519 private key",
  );
}

function corrupt(message: string): GitSecretsError {
  return new GitSecretsError("CORRUPT_KEY_FILE", message);
}

/** SSH wire-format reader: u32 length-prefixed strings. */
function sshStrings(data: Uint8Array) {
  const r = new ByteReader(data, () => corrupt("the SSH key is truncated"));
  return {
    r,
    string: () => r.bytes(r.u32()),
    text: () => new TextDecoder().decode(r.bytes(r.u32())),
  };
}

function parseOpenSshPrivate(sodium: Sodium, text: string): MemberIdentity {
  const body = text.replace(/-----(BEGIN|END) OPENSSH PRIVATE KEY-----/g, "").replace(/\s+/g, "");
  const data = new Uint8Array(Buffer.from(body, "base64"));
  const magic = ascii("openssh-key-v1\0");
  if (!startsWith(data, magic)) throw corrupt("not an OpenSSH private key (openssh-key-v1)");
  const s = sshStrings(data.subarray(magic.length));
  const cipher = s.text();
  const kdf = s.text();
  s.string(); // kdf options
  if (cipher !== "none" || kdf !== "none") {
    throw invalid(
      "the SSH private key is passphrase-protected; git-seal reads unencrypted OpenSSH keys only (ssh-keygen -p -N '' -f a copy, or use git-seal keygen)",
    );
  }
  const count = s.r.u32();
  if (count !== 1) throw invalid(`the SSH key file holds ${count} keys; git-seal expects one`);
  s.string(); // public key blob
  const priv = sshStrings(s.string());
  const check1 = priv.r.u32();
  const check2 = priv.r.u32();
  if (check1 !== check2) throw corrupt("the SSH private key is damaged (check integers differ)");
  const type = priv.text();
  if (type !== "ssh-ed25519") {
    throw invalid(`only ssh-ed25519 keys can be converted to X25519, not ${type}`);
  }
  const edPublic = priv.string();
  const edSecret = priv.string();
  const label = priv.text();
  if (edPublic.length !== 32 || edSecret.length !== 64) throw corrupt("malformed ed25519 key");
  const publicKey = sodium.crypto_sign_ed25519_pk_to_curve25519(edPublic);
  const secretKey = sodium.crypto_sign_ed25519_sk_to_curve25519(edSecret);
  return { memberId: memberId(publicKey), publicKey, secretKey, kind: "ssh-ed25519", label };
}

/** The one-line public key `keygen` prints: `git-seal-x25519 <base64> <label>`. */
export function formatPublicKey(key: MemberPublicKey): string {
  return `${PUBLIC_PREFIX} ${Buffer.from(key.publicKey).toString("base64")}${key.label ? ` ${key.label}` : ""}`;
}

/** Parses a `git-seal-x25519 …` or `ssh-ed25519 …` public key line (an authorized_keys line works too). */
export function parsePublicKey(sodium: Sodium, line: string): MemberPublicKey {
  const fields = line.trim().split(/\s+/);
  const at = fields.findIndex((f) => f === PUBLIC_PREFIX || f === "ssh-ed25519");
  const type = fields[at];
  const encoded = fields[at + 1];
  if (at < 0 || !encoded) {
    throw invalid(
      `not a member public key: expected "git-seal-x25519 <base64>" or "ssh-ed25519 <base64>", got ${JSON.stringify(line.trim().slice(0, 40))}`,
    );
  }
  const label = fields.slice(at + 2).join(" ");
  const raw = new Uint8Array(Buffer.from(encoded, "base64"));
  if (type === PUBLIC_PREFIX) {
    if (raw.length !== 32) throw invalid("a git-seal-x25519 public key is 32 bytes");
    return { memberId: memberId(raw), publicKey: raw, kind: "git-seal-x25519", label };
  }
  const s = sshStrings(raw);
  if (s.text() !== "ssh-ed25519") throw invalid("the ssh-ed25519 key blob names another key type");
  const edPublic = s.string();
  if (edPublic.length !== 32) throw invalid("an ed25519 public key is 32 bytes");
  let publicKey: Uint8Array;
  try {
    publicKey = sodium.crypto_sign_ed25519_pk_to_curve25519(edPublic);
  } catch (cause) {
    throw new GitSecretsError("INVALID_ARGUMENT", "the ed25519 public key is not a valid point", {
      cause,
    });
  }
  return { memberId: memberId(publicKey), publicKey, kind: "ssh-ed25519", label };
}

/** Seals a repository key file to a member (crypto_box_seal). */
export function sealForMember(
  sodium: Sodium,
  keyFile: Uint8Array,
  member: MemberPublicKey,
): Uint8Array {
  return sodium.crypto_box_seal(keyFile, member.publicKey);
}

/** Opens a sealed repository key file with the member's identity. */
export function openAsMember(
  sodium: Sodium,
  sealed: Uint8Array,
  identity: MemberIdentity,
  path?: string,
): Uint8Array {
  try {
    return sodium.crypto_box_seal_open(sealed, identity.publicKey, identity.secretKey);
  } catch (cause) {
    throw new GitSecretsError(
      "CORRUPT_KEY_FILE",
      `${path ?? "the sealed key"} does not open with member ${identity.memberId}'s private key: it is damaged or sealed to someone else`,
      { cause, ...(path ? { path } : {}) },
    );
  }
}
