// Addresses of services: "host:port", or a gRPC target such as "dns:///trainer.prune:50051". A DNS
// name of a headless Kubernetes Service resolves to every replica; the round_robin policy then
// spreads calls over them (per call, not per connection), which is why every client uses it.
import * as grpc from '@grpc/grpc-js';
import { channelCredentials, clientInterceptors, defaultSecurity, type Security } from './security.js';

const ADDRESS = /^(dns:\/\/\/)?[^\s:/]+:\d+$/;

export const CLIENT_OPTIONS: grpc.ClientOptions = {
  'grpc.service_config': JSON.stringify({ loadBalancingConfig: [{ round_robin: {} }] }),
  'grpc.max_receive_message_length': 64 * 1024 * 1024,
};

/**
 * What every client of a service connects with: CLIENT_OPTIONS, plus this process's TLS
 * credentials and bearer token (see security.ts).
 */
export function clientConnection(security: Security = defaultSecurity()): {
  credentials: grpc.ChannelCredentials;
  options: grpc.ClientOptions;
} {
  return {
    credentials: channelCredentials(security),
    options: { ...CLIENT_OPTIONS, interceptors: clientInterceptors(security) },
  };
}

export function isServiceAddress(address: string): boolean {
  return ADDRESS.test(address);
}

/** "a:1,b:2" into ["a:1", "b:2"]; `source` names the setting in errors. */
export function parseAddressList(text: string, source: string): string[] {
  const list = text
    .split(',')
    .map((a) => a.trim())
    .filter(Boolean);
  if (list.length === 0) throw new Error(`${source}: at least one host:port is required`);
  for (const address of list)
    if (!isServiceAddress(address)) throw new Error(`${source}: "${address}" is not host:port or dns:///host:port`);
  return list;
}
