/**
 * writeRequestFrame: the bytes every request sender puts on the wire — size prefix, the header
 * version the API's request version calls for, then the body — read back as the broker reads them.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { apiVersions } from '../../src/protocol/messages/index.js';
import { readRequestHeaderPrefix, readRequestHeaderRest } from '../../src/protocol/header.js';
import { Reader } from '../../src/protocol/reader.js';
import { writeRequestFrame } from '../../src/protocol/request-frame.js';

test('ApiVersions v0: size, api key 18, version 0, correlation id, client id, no body', () => {
  const frame = writeRequestFrame(apiVersions, 0, { correlationId: 1, clientId: 'idle' }, {}).toBuffer();
  assert.equal(frame.toString('hex'), '0000000e' + '0012' + '0000' + '00000001' + '0004' + Buffer.from('idle').toString('hex'));
});

test('a flexible version gets header v2 and its body, and the size counts everything after it', () => {
  const frame = writeRequestFrame(apiVersions, 3, { correlationId: 7, clientId: null }, { clientSoftwareName: 'tl', clientSoftwareVersion: '1' }).toBuffer();
  assert.equal(frame.readInt32BE(0), frame.length - 4);
  const reader = new Reader(frame.subarray(4));
  const header = readRequestHeaderPrefix(reader);
  assert.deepEqual({ ...header }, { apiKey: 18, apiVersion: 3, correlationId: 7, clientId: null });
  readRequestHeaderRest(reader, header, apiVersions.requestHeaderVersion(3));
  const body = apiVersions.decodeRequest(reader, 3);
  assert.equal(body.clientSoftwareName, 'tl');
  assert.equal(body.clientSoftwareVersion, '1');
});
