#!/usr/bin/env python3
"""A network cable in user space, for the fault rig (test/faults/netns.ts).

This kernel has no netem qdisc, so a node whose cluster link must be able to take latency gets a
pair of TAP devices instead of a veth pair: the rig moves the first (`node_tap`) into the node's
namespace and puts the second (`bridge_tap`) on the cluster bridge, and this process copies every
Ethernet frame between them. Frames the node sends (node_tap -> bridge_tap, the node's egress, as
netem on its interface would) wait `delay +- jitter` ms, uniformly, on a timer heap (so jitter may
reorder them, as netem's does); frames towards the node pass at once. Loss is done in the kernel
(tc bpf filters), not here.

Usage: wire.py <node_tap> <bridge_tap>. Prints "ready" once both devices exist. Reads JSON lines on
stdin: {"delayMs": 100, "jitterMs": 20}. Exits when stdin closes (the test process is gone), and
the devices disappear with it.
"""
import fcntl
import heapq
import json
import os
import random
import select
import struct
import sys
import time

TUNSETIFF = 0x400454CA
IFF_TAP = 0x0002
IFF_NO_PI = 0x1000
QUEUE_LIMIT = 10000  # frames waiting at most, like netem's limit; beyond it frames are dropped


def open_tap(name):
    fd = os.open("/dev/net/tun", os.O_RDWR | os.O_NONBLOCK)
    fcntl.ioctl(fd, TUNSETIFF, struct.pack("16sH", name.encode(), IFF_TAP | IFF_NO_PI))
    return fd


def main():
    node_tap, bridge_tap = sys.argv[1], sys.argv[2]
    node_fd = open_tap(node_tap)
    bridge_fd = open_tap(bridge_tap)
    delay_ms, jitter_ms = 0.0, 0.0
    queue = []  # (due, seq, frame) of frames from the node
    seq = 0
    stdin = sys.stdin.fileno()
    buffered = b""
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    while True:
        timeout = None
        if queue:
            timeout = max(0.0, queue[0][0] - time.monotonic())
        readable, _, _ = select.select([node_fd, bridge_fd, stdin], [], [], timeout)
        if stdin in readable:
            chunk = os.read(stdin, 4096)
            if not chunk:
                return
            buffered += chunk
            while b"\n" in buffered:
                line, buffered = buffered.split(b"\n", 1)
                if line.strip():
                    command = json.loads(line)
                    delay_ms = float(command.get("delayMs", 0))
                    jitter_ms = float(command.get("jitterMs", 0))
                    sys.stdout.write("ok\n")
                    sys.stdout.flush()
        if node_fd in readable:
            for _ in range(64):
                try:
                    frame = os.read(node_fd, 65536)
                except BlockingIOError:
                    break
                if delay_ms <= 0 and not queue:
                    forward(bridge_fd, frame)
                elif len(queue) < QUEUE_LIMIT:
                    wait = max(0.0, delay_ms + random.uniform(-jitter_ms, jitter_ms)) / 1000.0
                    seq += 1
                    heapq.heappush(queue, (time.monotonic() + wait, seq, frame))
        if bridge_fd in readable:
            for _ in range(64):
                try:
                    frame = os.read(bridge_fd, 65536)
                except BlockingIOError:
                    break
                forward(node_fd, frame)
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            forward(bridge_fd, heapq.heappop(queue)[2])


def forward(fd, frame):
    try:
        os.write(fd, frame)
    except (BlockingIOError, OSError):
        pass  # a device that cannot take the frame drops it, as a full queue would


if __name__ == "__main__":
    try:
        main()
    except KeyboardInterrupt:
        pass
