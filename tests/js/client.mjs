// A dubbo-js Triple-transport client for the Python tests: one call per run, its outcome as
// one JSON line on stdout: {"ok": ...} or {"error": {"code": <gRPC code>, "message": ...}}.
//   node client.mjs <baseUrl> <scenario> <httpVersion 1.1|2> <json|proto> [version] [group]
import { proto3, MethodKind } from "@bufbuild/protobuf";
import { createPromiseClient, DubboError } from "@apachedubbo/dubbo";
import { createDubboTransport } from "@apachedubbo/dubbo-node";

const GreeterRequest = proto3.makeMessageType("org.apache.dubbo.samples.proto.GreeterRequest", [
  { no: 1, name: "name", kind: "scalar", T: 9 },
]);
const GreeterReply = proto3.makeMessageType("org.apache.dubbo.samples.proto.GreeterReply", [
  { no: 1, name: "message", kind: "scalar", T: 9 },
]);
const Greeter = {
  typeName: "org.apache.dubbo.samples.proto.Greeter",
  methods: {
    sayHello: { name: "sayHello", I: GreeterRequest, O: GreeterReply, kind: MethodKind.Unary },
    clientStream: { name: "clientStream", I: GreeterRequest, O: GreeterReply, kind: MethodKind.ClientStreaming },
    serverStream: { name: "serverStream", I: GreeterRequest, O: GreeterReply, kind: MethodKind.ServerStreaming },
    biStream: { name: "biStream", I: GreeterRequest, O: GreeterReply, kind: MethodKind.BiDiStreaming },
    missing: { name: "missing", I: GreeterRequest, O: GreeterReply, kind: MethodKind.Unary },
  },
};

const [baseUrl, scenario, httpVersion, format, serviceVersion, serviceGroup] = process.argv.slice(2);
const transport = createDubboTransport({ baseUrl, httpVersion, useBinaryFormat: format === "proto" });
const options = {};
if (serviceVersion) options.serviceVersion = serviceVersion;
if (serviceGroup) options.serviceGroup = serviceGroup;
const client = createPromiseClient(Greeter, transport, options);

async function* names(...values) {
  for (const name of values) yield { name };
}

async function run() {
  switch (scenario) {
    case "unary":
      return (await client.sayHello({ name: "js" })).message;
    case "missing":
      return (await client.missing({ name: "js" })).message;
    case "serverStream": {
      const out = [];
      for await (const reply of client.serverStream({ name: "a b c" })) out.push(reply.message);
      return out;
    }
    case "clientStream":
      return (await client.clientStream(names("x", "y"))).message;
    case "biStream": {
      const out = [];
      for await (const reply of client.biStream(names("p", "q"))) out.push(reply.message);
      return out;
    }
    default:
      throw new Error(`unknown scenario ${scenario}`);
  }
}

try {
  console.log(JSON.stringify({ ok: await run() }));
} catch (e) {
  if (!(e instanceof DubboError)) throw e;
  console.log(JSON.stringify({ error: { code: e.code, message: e.rawMessage } }));
}
process.exit(0);
