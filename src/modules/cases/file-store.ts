/**
 * Where attachment files (visit photos, signed forms, scanned minutes) are kept. The cases
 * module stores metadata in the database and the bytes through this small interface, so that
 * a province can put them in object storage; the default is a local directory (`data/files`,
 * FANGPIN_FILES overrides).
 */
import { createHash, randomBytes } from "node:crypto";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { dirname, join, resolve, sep } from "node:path";
import { invalid } from "../../core/errors.ts";

export interface FileStore {
  /** Stores bytes under a key (`cases/12/ab12….jpg`); overwrites nothing that exists. */
  put(key: string, data: Buffer): Promise<void>;
  get(key: string): Promise<Buffer>;
  remove(key: string): Promise<void>;
}

export const DEFAULT_FILES_DIR = "data/files";

/** A store in a local directory; keys become relative paths below it. */
export function localFileStore(dir: string = process.env.FANGPIN_FILES ?? DEFAULT_FILES_DIR) {
  const root = resolve(dir);
  const pathOf = (key: string) => {
    const path = resolve(root, key);
    if (!path.startsWith(root + sep)) throw new Error(`file key outside the store: ${key}`);
    return path;
  };
  return {
    async put(key, data) {
      const path = pathOf(key);
      await mkdir(dirname(path), { recursive: true });
      // Written aside and renamed, so a reader never sees half a file.
      const temp = `${path}.${randomBytes(4).toString("hex")}.part`;
      await writeFile(temp, data, { flag: "wx" });
      await rename(temp, path);
    },
    get: (key) => readFile(pathOf(key)),
    async remove(key) {
      await rm(pathOf(key), { force: true });
    },
  } satisfies FileStore;
}

/** Types accepted, with the bytes every such file starts with. */
const SIGNATURES: Record<string, { ext: string; magic: number[] }> = {
  "image/jpeg": { ext: "jpg", magic: [0xff, 0xd8, 0xff] },
  "image/png": { ext: "png", magic: [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a] },
  "application/pdf": { ext: "pdf", magic: [0x25, 0x50, 0x44, 0x46, 0x2d] },
};
export const ATTACHMENT_TYPES = Object.keys(SIGNATURES);
/** 10 MB: a phone photo or a scanned page, not a video. */
export const MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024;

/**
 * Checks an upload's size and type (the declared type must be accepted and match the file's
 * first bytes); returns the extension to store it under and its SHA-256.
 */
export function checkAttachment(mime: string, data: Buffer): { ext: string; sha256: string } {
  const type = mime.split(";")[0]!.trim().toLowerCase();
  const sig = SIGNATURES[type];
  if (!sig)
    throw invalid(`附件只能是 JPEG、PNG 图片或 PDF 文件（收到 ${type || "未知类型"}）`, {
      field: "file",
      code: "attachment_type",
    });
  if (data.length === 0) throw invalid("附件是空文件", { field: "file", code: "attachment_empty" });
  if (data.length > MAX_ATTACHMENT_BYTES)
    throw invalid(`附件不能超过 ${MAX_ATTACHMENT_BYTES / 1024 / 1024} MB`, {
      field: "file",
      code: "attachment_too_large",
    });
  if (!sig.magic.every((b, i) => data[i] === b))
    throw invalid(`文件内容不是声明的类型 ${type}`, { field: "file", code: "attachment_mismatch" });
  return { ext: sig.ext, sha256: createHash("sha256").update(data).digest("hex") };
}

/** A fresh key for a case's attachment. */
export function attachmentKey(caseId: number, ext: string): string {
  return join("cases", String(caseId), `${randomBytes(12).toString("hex")}.${ext}`);
}
