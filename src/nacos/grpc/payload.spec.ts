import { ProtoWriter } from '@/common/proto-wire';
import {
  NACOS_REQUEST_SERVICE,
  PayloadError,
  decodePayload,
  deserializePayload,
  encodeJson,
  encodePayload,
  serializePayload,
} from './payload';
import type { WirePayload } from './payload';
import { nacosProto, serviceClient } from '@/common/protos';

// protobufjs (through proto-loader) reads and writes the same .proto independently of our codec.
const generic = serviceClient(nacosProto(), 'Request').service.request;
const genericSerialize = generic.requestSerialize as (value: WirePayload) => Buffer;
const genericDeserialize = generic.requestDeserialize as (bytes: Buffer) => WirePayload;

const bodies: Array<[string, object]> = [
  ['an empty object', {}],
  ['a small request', { requestId: '7', serviceName: 'orders', namespace: 'public' }],
  ['non-ASCII text', { serviceName: '订单服务', metadata: { note: 'ünïcødé ✓ 𝄞' } }],
  [
    'a body longer than a one-byte length',
    { instances: Array.from({ length: 300 }, (_, i) => ({ ip: `10.0.${i >> 8}.${i & 255}`, port: 8080 })) },
  ],
];

describe('Payload codec', () => {
  describe.each(bodies)('with %s', (_name, body) => {
    const headers = { accessToken: 'tok', app: '订单' };

    it('should write what protobufjs reads back the same', () => {
      const bytes = serializePayload(encodePayload('InstanceRequest', body, headers, '10.1.2.3'));

      const decoded = decodePayload(genericDeserialize(bytes));

      expect(decoded).toEqual({ type: 'InstanceRequest', clientIp: '10.1.2.3', headers, body });
    });

    it('should read what protobufjs writes', () => {
      const bytes = genericSerialize(encodePayload('InstanceRequest', body, headers, '10.1.2.3'));

      const decoded = decodePayload(deserializePayload(bytes));

      expect(decoded).toEqual({ type: 'InstanceRequest', clientIp: '10.1.2.3', headers, body });
    });
  });

  it('should serialize a plain WirePayload (not built by encodeJson) with its type_url', () => {
    const payload: WirePayload = {
      metadata: { type: 'HealthCheckRequest', headers: {} },
      body: { type_url: 'type.googleapis.com/x', value: Buffer.from('{"a":1}') },
    };

    const read = genericDeserialize(serializePayload(payload));

    expect(read.metadata?.type).toBe('HealthCheckRequest');
    expect(read.body?.type_url).toBe('type.googleapis.com/x');
    expect(Buffer.from(read.body!.value!).toString()).toBe('{"a":1}');
  });

  it('should pass a serialized Payload through unchanged', () => {
    const bytes = serializePayload(encodeJson('NotifySubscriberRequest', '{"requestId":"1"}'));

    expect(serializePayload(bytes)).toBe(bytes);
  });

  it('should read a Payload with neither metadata nor body as one decodePayload refuses', () => {
    const read = deserializePayload(Buffer.alloc(0));

    expect(read).toEqual({ metadata: null, body: null });
    expect(() => decodePayload(read)).toThrow('payload has no metadata.type');
  });

  it('should skip fields it does not know, as protobuf requires', () => {
    const writer = new ProtoWriter();
    writer.uint(9, 42); // unknown varint at the top level
    const metadata = writer.begin(2);
    writer.string(3, 'ServerCheckRequest');
    writer.string(15, 'from a newer client'); // unknown field inside Metadata
    writer.end(metadata);
    const body = writer.begin(3);
    writer.bytes(2, Buffer.from('{}'));
    writer.end(body);

    const decoded = decodePayload(deserializePayload(writer.finish()));

    expect(decoded).toEqual({ type: 'ServerCheckRequest', clientIp: '', headers: {}, body: {} });
  });

  it('should keep a header named __proto__ as a header', () => {
    const bytes = genericSerialize(encodePayload('X', {}, { ['__proto__']: 'v', a: 'b' }));

    const headers = deserializePayload(bytes).metadata!.headers!;

    expect(Object.keys(headers).sort()).toEqual(['__proto__', 'a']);
    expect(headers['__proto__']).toBe('v');
  });

  it.each([
    ['a truncated message', Buffer.from([0x12, 0x10, 0x1a])],
    ['a field number 0', Buffer.from([0x02, 0x00])],
    ['metadata with the wrong wire type', Buffer.from([0x10, 0x01])],
    ['a length beyond the message', Buffer.from([0x1a, 0x7f, 0x00])],
    ['a reserved wire type', Buffer.from([0x0f])],
  ])('should mark %s as malformed, which decodePayload refuses', (_name, bytes) => {
    const read = deserializePayload(bytes);

    expect(read.malformed).toEqual(expect.any(String));
    expect(() => decodePayload(read)).toThrow(PayloadError);
  });

  it('should never throw on random or mutated bytes: a Payload, or one marked malformed', () => {
    // A small deterministic generator, so a failure names bytes that can be replayed.
    let seed = 12345;
    const next = (): number => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return seed >>> 8;
    };
    const valid = serializePayload(
      encodePayload('InstanceRequest', { serviceName: 's', port: 1 }, { a: 'b' }, '10.0.0.1'),
    );
    for (let round = 0; round < 5000; round++) {
      const bytes =
        round % 2 === 0
          ? Buffer.from(Array.from({ length: next() % 64 }, () => next() & 255))
          : Buffer.from(valid.map((byte) => (next() % 10 === 0 ? next() & 255 : byte)));

      const read = deserializePayload(bytes);

      if (read.malformed === undefined) {
        expect(read.metadata === null || typeof read.metadata?.type === 'string').toBe(true);
        expect(read.body === null || Buffer.isBuffer(read.body?.value)).toBe(true);
      }
      // decodePayload then either accepts it or says why, always as a PayloadError.
      try {
        decodePayload(read);
      } catch (err) {
        expect(err).toBeInstanceOf(PayloadError);
      }
    }
  });

  it('should give the body as a view of the received bytes, not a copy', () => {
    const bytes = serializePayload(encodeJson('X', '{"k":"v"}'));

    const value = deserializePayload(bytes).body!.value as Buffer;

    expect(value.buffer).toBe(bytes.buffer);
  });

  it('should serve the paths of the .proto', () => {
    const service = serviceClient(nacosProto(), 'BiRequestStream').service;

    expect(NACOS_REQUEST_SERVICE.request.path).toBe(generic.path);
    expect(service.requestBiStream.path).toBe('/BiRequestStream/requestBiStream');
  });
});
