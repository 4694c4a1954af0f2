/**
 * @module
 * A body made of a JSON definition and a project zip, in the forms the surfaces have it: the
 * request's own stream (REST: multipart, or JSON naming a staged zip), or its parts already
 * apart (MCP arguments: the zip's bytes, or the id of a zip staged before). The operation that
 * takes it (startrun) reads every form the same way, after its guard has run.
 */
export type UploadBody =
  | { from: 'stream'; stream: ReadableStream<Uint8Array> | null; headers: Headers }
  | { from: 'bytes'; definition: unknown; zip: Uint8Array }
  | { from: 'staged'; definition: unknown; stagedZipId: unknown };
