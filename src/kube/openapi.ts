/**
 * The OpenAPI documents kubectl asks for before it applies, with no schemas in them: the server
 * validates nothing against a schema, and kubectl skips client-side validation of a kind its
 * OpenAPI document does not describe.
 *
 * What kubectl does (seen against this server's discovery): kubectl 1.20 `apply` (and `create`,
 * `replace`) with the default `--validate=true` GETs `/openapi/v2` with
 * `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, then on 404
 * `/swagger-2.0.0.pb-v1`, and if both fail stops with `Error from server (NotFound)`; it decodes
 * the answer as the protobuf `openapi.v2.Document` (gnostic) whatever the Content-Type says, and
 * fails on a Content-Type Go cannot parse (kube-apiserver sends `application/octet-stream`).
 * kubectl 1.27 and later GET `/openapi/v3` first (JSON), tolerate a 404 or an empty `paths`, then
 * try `/openapi/v2` and also tolerate its 404, and send `?fieldValidation=Strict` with the write.
 */

/** The Content-Type of the protobuf document, as kube-apiserver answers (Go rejects the `@` of the requested type). */
export const OPENAPI_V2_PROTOBUF_CONTENT_TYPE = 'application/octet-stream';

/** The Accept header that asks for the protobuf document. */
export const OPENAPI_V2_PROTOBUF_ACCEPT = 'application/com.github.proto-openapi.spec.v2@v1.0+protobuf';

/** A length-delimited protobuf field (wire type 2) holding `bytes`. */
function field(number: number, bytes: Uint8Array): Buffer {
  const header = [(number << 3) | 2];
  for (let length = bytes.length; ; length >>>= 7) {
    if (length < 0x80) {
      header.push(length);
      break;
    }
    header.push((length & 0x7f) | 0x80);
  }
  return Buffer.concat([Buffer.from(header), bytes]);
}

/**
 * `/openapi/v2` (and `/swagger-2.0.0.pb-v1`) as protobuf: an `openapi.v2.Document` with
 * `swagger: "2.0"` and `info { title, version }`, no paths and no definitions.
 *
 * @param version the API version to name in `info.version`.
 */
export function openApiV2Protobuf(version: string): Buffer {
  const info = Buffer.concat([field(1, Buffer.from('resource-store')), field(2, Buffer.from(version))]);
  return Buffer.concat([field(1, Buffer.from('2.0')), field(2, info)]);
}

/** `/openapi/v2` as JSON, for clients that accept JSON: the same empty document. */
export function openApiV2Json(version: string): { swagger: '2.0'; info: { title: string; version: string }; paths: Record<string, never>; definitions: Record<string, never> } {
  return { swagger: '2.0', info: { title: 'resource-store', version }, paths: {}, definitions: {} };
}

/** `/openapi/v3`: the discovery document of OpenAPI v3, listing no group-versions (clients then fall back to v2). */
export function openApiV3Discovery(): { paths: Record<string, never> } {
  return { paths: {} };
}
