/**
 * Channel and server option shared by every gRPC endpoint and client here. Channelz (grpc-js's
 * introspection registry) is not served by distro-sync, and keeping it on tracks every call and
 * stream for it: about 2 % of a Nacos batch registration's CPU. The benchmarks' raw floors use it
 * too, so they stay the floor of grpc-js as configured here.
 */
export const NO_CHANNELZ = { 'grpc.enable_channelz': 0 } as const;
