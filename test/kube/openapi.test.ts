import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import protobuf from 'protobufjs';
import { openApiV2Json, openApiV2Protobuf, openApiV3Discovery } from '../../src/kube/openapi.js';

/** The two fields of gnostic's openapi.v2.Document (OpenAPIv2.proto) the document sets. */
const root = protobuf.parse(`
  syntax = "proto3";
  package openapi.v2;
  message Info { string title = 1; string version = 2; string description = 3; }
  message Document { string swagger = 1; Info info = 2; string host = 3; string base_path = 4; }
`).root;
const Document = root.lookupType('openapi.v2.Document');

describe('OpenAPI documents', () => {
  it('encodes /openapi/v2 as the protobuf openapi.v2.Document kubectl decodes', () => {
    const decoded = Document.toObject(Document.decode(openApiV2Protobuf('v1.32.0')));
    assert.deepEqual(decoded, { swagger: '2.0', info: { title: 'resource-store', version: 'v1.32.0' } });
    const long = 'v'.repeat(300);
    assert.equal((Document.toObject(Document.decode(openApiV2Protobuf(long))) as { info: { version: string } }).info.version, long);
  });

  it('says the same in JSON, and lists no OpenAPI v3 group-versions', () => {
    assert.deepEqual(openApiV2Json('v1.32.0'), { swagger: '2.0', info: { title: 'resource-store', version: 'v1.32.0' }, paths: {}, definitions: {} });
    assert.deepEqual(openApiV3Discovery(), { paths: {} });
  });
});
