#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Grade a packet capture taken on the Linux side of an xtcp test.

    capture_grade.py PCAP --local-mac MAC [--lem-log FILE [--lem-missed N]]
                     [--tcpdump-log FILE] [--min-retrans N] [--show N]
                     [--name NAME]

tests/lib/capture.sh runs it (capture_grade); see there for the topology.

PCAP is a classic pcap (Ethernet) written by tcpdump on the Linux host's
interface; --local-mac is that interface's MAC, so frames it sent (TX) and
frames it received (RX) are told apart. tshark reads the capture with IPv4
and TCP checksum validation on (TCP over IPv6 included) and only the
protocols up to TCP enabled (payload heuristics such as Thrift would
otherwise report "errors" in random data), and this fails on:

  - a malformed packet (_ws.malformed), any expert message of severity
    error, a bad or unverified IPv4 header or TCP checksum;
  - an invalid TCP header length or option (tshark's tcp.bogus_header_length,
    tcp.option.len.invalid, tcp.suboption_malformed, tcp.short_segment,
    tcp.options.wscale.shift.invalid, ip.bogus_*; and our own walk of the
    options: lengths, and MSS 4, WS 3, SACK-permitted 2, SACK 2 + 8n,
    timestamps 10 bytes, as RFC 9293, 7323 and 2018 give them);
  - a frame longer than the interface's MTU allows, or cut short by the
    snap length (the capture would not show what was on the wire);
  - tcpdump dropping or missing packets (--tcpdump-log);
  - a retransmission that is not explained: tshark's
    tcp.analysis.retransmission, fast_retransmission,
    spurious_retransmission, and out_of_order (nothing in these topologies
    reorders, so a segment that fills a hole at the receiver is a
    retransmission of something lost on the way, which tshark names
    out-of-order when it comes soon after).

Explained retransmissions need the link emulator's event log (linkem
--event-log, tools/linkem/evlog.h): one line per frame it lost, dropped
or corrupted, with the frame's CRC-32, length, MACs and TCP header. A
retransmitted segment is split into the bytes the capture had seen before
and those it had not:

  - bytes the capture never saw (only possible for RX: the capture is at
    the receiver) are explained when the emulator logged losing or
    corrupting a segment of the same connection and direction holding them,
    before the retransmission was captured;
  - bytes already seen: when the most recent earlier copy of them was sent
    by this host (TX) and the emulator lost or corrupted that very frame
    (its CRC-32, length and header match), they are explained;
  - otherwise the receiver had them, and the sender resent them because it
    never learned so: explained only if no acknowledgment of them (a
    cumulative ACK beyond them or a SACK block holding them) sent by the
    receiver before the retransmission got through the emulator, and at
    least one was lost or corrupted by it. An acknowledgment that got
    through, or none at all, leaves them unexplained.

Frames the emulator corrupted reach the receiver too: an RX frame whose
checksum fails is explained when flipping back the bit the log names gives
the logged CRC-32; such frames are left out of tshark's analysis (the
receiver dropped them too). Log events inside the capture's time span that
cannot be found in it (a TX frame lost or corrupted, an RX frame corrupted)
fail the grade: the matching would not be trustworthy. With no log, every
retransmission is unexplained: on a veth pair nothing may be lost.

Prints one line:
    capture NAME: frames=N tcp=N streams=N retrans=N explained=N errors=N
                  [emulator: lost=N corrupted=N missed=N] PASS|FAIL
and on failure the offending frames (up to --show, default 20), numbered
as in the capture. Exit 0 pass, 1 fail, 2 usage or tool error.
"""

import argparse
import bisect
import os
import struct
import subprocess
import sys
import tempfile
import zlib

SEV_ERROR = 8388608  # PI_ERROR in epan/proto.h
AGG = '\x1f'  # between occurrences of a field (messages hold commas)
ETH_HLEN = 14
SYN, FIN, RST = 0x02, 0x01, 0x04
# The protocols tshark keeps; everything else is disabled.
KEEP_PROTOS = ('frame', 'eth', 'ethertype', 'vlan', 'ip', 'ipv6', 'tcp',
               'arp', 'icmp', 'icmpv6')
FLAGGED = ('tcp.analysis.retransmission', 'tcp.analysis.fast_retransmission',
           'tcp.analysis.spurious_retransmission', 'tcp.analysis.out_of_order')
INVALID = ('tcp.bogus_header_length', 'tcp.option.len.invalid',
           'tcp.suboption_malformed', 'tcp.short_segment',
           'tcp.options.wscale.shift.invalid', 'ip.bogus_header_length',
           'ip.bogus_ip_length', 'ip.opt.len.invalid', 'ipv6.invalid_header')
FIELDS = (('frame.number', 'tcp.stream', '_ws.malformed',
           '_ws.expert.severity', '_ws.expert.message', 'tcp.checksum.status',
           'ip.checksum.status', 'tcp.analysis.keep_alive')
          + FLAGGED + INVALID)
LOST_EVENTS = ('lost', 'ge_lost', 'qdrop', 'oversize', 'tx_err')


# --- interval sets over 64-bit sequence offsets -------------------------------

class Ranges:
    """A set of integers as sorted, disjoint, non-adjacent [a, b) runs."""

    def __init__(self, runs=()):
        self.a, self.b = [], []
        for lo, hi in runs:
            self.add(lo, hi)

    def add(self, lo, hi):
        if lo >= hi:
            return
        i = bisect.bisect_left(self.b, lo)
        j = bisect.bisect_right(self.a, hi)
        if i < j:
            lo = min(lo, self.a[i])
            hi = max(hi, self.b[j - 1])
        self.a[i:j] = [lo]
        self.b[i:j] = [hi]

    def runs(self):
        return list(zip(self.a, self.b))

    def inter(self, lo, hi):
        """The runs of this set inside [lo, hi)."""
        out = []
        i = bisect.bisect_right(self.b, lo)
        while i < len(self.a) and self.a[i] < hi:
            out.append((max(lo, self.a[i]), min(hi, self.b[i])))
            i += 1
        return out

    def empty(self):
        return not self.a


def runs_minus(runs, sub):
    """runs minus the Ranges sub."""
    out = []
    for lo, hi in runs:
        cur = lo
        for a, b in sub.inter(lo, hi):
            if a > cur:
                out.append((cur, a))
            cur = b
        if cur < hi:
            out.append((cur, hi))
    return out


def runs_inter(runs, other):
    out = []
    for lo, hi in runs:
        out.extend(other.inter(lo, hi))
    return out


def fmt_runs(runs, base=0):
    return ','.join('%d-%d' % (a - base, b - base) for a, b in runs)


# --- pcap ---------------------------------------------------------------------

class Pcap:
    def __init__(self, path):
        with open(path, 'rb') as f:
            data = f.read()
        if len(data) < 24:
            raise ValueError('%s: not a pcap file' % path)
        magic = data[:4]
        if magic in (b'\xd4\xc3\xb2\xa1', b'\x4d\x3c\xb2\xa1'):
            self.endian = '<'
        elif magic in (b'\xa1\xb2\xc3\xd4', b'\xa1\xb2\x3c\x4d'):
            self.endian = '>'
        else:
            raise ValueError('%s: not a classic pcap file (pcapng?)' % path)
        self.nano = magic in (b'\x4d\x3c\xb2\xa1', b'\xa1\xb2\x3c\x4d')
        self.header = data[:24]
        self.snaplen, self.linktype = struct.unpack(self.endian + 'II',
                                                    data[16:24])
        if self.linktype != 1:
            raise ValueError('%s: link type %d, not Ethernet' %
                             (path, self.linktype))
        self.records = []  # (ts seconds, record header bytes, frame, wirelen)
        off = 24
        div = 1e9 if self.nano else 1e6
        while off + 16 <= len(data):
            hdr = data[off:off + 16]
            sec, frac, incl, orig = struct.unpack(self.endian + 'IIII', hdr)
            frame = data[off + 16:off + 16 + incl]
            if len(frame) < incl:
                raise ValueError('%s: cut short in record %d' %
                                 (path, len(self.records) + 1))
            self.records.append((sec + frac / div, hdr, frame, orig))
            off += 16 + incl

    def write(self, path, keep):
        with open(path, 'wb') as f:
            f.write(self.header)
            for i, (_, hdr, frame, _) in enumerate(self.records):
                if keep[i]:
                    f.write(hdr)
                    f.write(frame)


def mac_str(b):
    return ':'.join('%02x' % x for x in b)


def csum16(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def check_options(opts):
    """None if the TCP options are well-formed, else why not."""
    want = {2: (4,), 3: (3,), 4: (2,), 8: (10,)}
    i = 0
    while i < len(opts):
        kind = opts[i]
        if kind == 0:
            return None
        if kind == 1:
            i += 1
            continue
        if i + 1 >= len(opts):
            return 'option %d has no length byte' % kind
        ln = opts[i + 1]
        if ln < 2 or i + ln > len(opts):
            return 'option %d length %d runs past the header' % (kind, ln)
        if kind in want and ln not in want[kind]:
            return 'option %d length %d (must be %d)' % (kind, ln,
                                                         want[kind][0])
        if kind == 5 and (ln < 10 or (ln - 2) % 8):
            return 'SACK option length %d (2 + 8n)' % ln
        i += ln
    return None


class Frame:
    """What we need of one captured frame, parsed without tshark."""

    def __init__(self, num, ts, data, wirelen):
        self.num, self.ts, self.data, self.wirelen = num, ts, data, wirelen
        self.src = self.dst = ''
        self.l3 = None
        self.tcp = False
        self.valid = False  # a whole TCP segment with good checksums
        self.problem = None
        self.stream = None
        self.flagged = []
        self.event = None  # the emulator event that matched this frame
        self.parse()

    def parse(self):
        d = self.data
        if len(d) < ETH_HLEN:
            self.problem = 'runt frame'
            return
        self.dst, self.src = mac_str(d[0:6]), mac_str(d[6:12])
        etype, off = struct.unpack('!H', d[12:14])[0], ETH_HLEN
        while etype in (0x8100, 0x88a8) and off + 4 <= len(d):
            etype = struct.unpack('!H', d[off + 2:off + 4])[0]
            off += 4
        if etype == 0x0800:
            self.parse_ip4(d, off)
        elif etype == 0x86dd:
            self.parse_ip6(d, off)

    def parse_ip4(self, d, off):
        if off + 20 > len(d) or d[off] >> 4 != 4:
            self.problem = 'bad IPv4 header'
            return
        hl = (d[off] & 15) * 4
        tot = struct.unpack('!H', d[off + 2:off + 4])[0]
        self.l3 = 'ip4'
        self.saddr = '.'.join(str(x) for x in d[off + 12:off + 16])
        self.daddr = '.'.join(str(x) for x in d[off + 16:off + 20])
        self.proto = d[off + 9]
        if hl < 20 or tot < hl or off + tot > len(d):
            self.problem = 'IPv4 lengths (header %d, total %d)' % (hl, tot)
            return
        if csum16(d[off:off + hl]) != 0xffff:
            self.problem = 'bad IPv4 header checksum'
            return
        if self.proto != 6 or struct.unpack('!H', d[off + 6:off + 8])[0] \
                & 0x3fff:
            return
        pseudo = d[off + 12:off + 20] + struct.pack('!BBH', 0, 6, tot - hl)
        self.parse_tcp(d[off + hl:off + tot], pseudo)

    def parse_ip6(self, d, off):
        if off + 40 > len(d) or d[off] >> 4 != 6:
            self.problem = 'bad IPv6 header'
            return
        plen = struct.unpack('!H', d[off + 4:off + 6])[0]
        self.l3 = 'ip6'
        self.saddr = fmt_ip6(d[off + 8:off + 24])
        self.daddr = fmt_ip6(d[off + 24:off + 40])
        self.proto = d[off + 6]
        if off + 40 + plen > len(d):
            self.problem = 'IPv6 payload length %d past the frame' % plen
            return
        if self.proto != 6:
            return
        pseudo = d[off + 8:off + 40] + struct.pack('!IxxxB', plen, 6)
        self.parse_tcp(d[off + 40:off + 40 + plen], pseudo)

    def parse_tcp(self, seg, pseudo):
        self.tcp = True
        if len(seg) < 20:
            self.problem = 'TCP segment of %d bytes' % len(seg)
            return
        (self.sport, self.dport, self.seq, self.ack, doff, self.flags,
         self.win) = struct.unpack('!HHIIBBH', seg[:16])
        hl = (doff >> 4) * 4
        if hl < 20 or hl > len(seg):
            self.problem = 'TCP header length %d (segment %d)' % (hl,
                                                                  len(seg))
            return
        self.plen = len(seg) - hl
        self.sack = []
        opts = seg[20:hl]
        why = check_options(opts)
        if why:
            self.problem = 'TCP ' + why
            return
        self.sack = sack_blocks(opts)
        if csum16(pseudo + seg) != 0xffff:
            self.problem = 'bad TCP checksum'
            return
        self.valid = True

    def key(self):
        return (self.saddr, self.sport, self.daddr, self.dport)

    def seqlen(self):
        return self.plen + bool(self.flags & SYN) + bool(self.flags & FIN)

    def describe(self):
        if not self.tcp or not hasattr(self, 'seq'):
            return '%s > %s %s' % (self.src, self.dst, self.l3 or 'non-IP')
        return '%s.%d > %s.%d seq=%u ack=%u len=%s flags=0x%02x' % (
            self.saddr, self.sport, self.daddr, self.dport, self.seq,
            self.ack, getattr(self, 'plen', '?'), self.flags)


def fmt_ip6(b):
    import ipaddress
    return str(ipaddress.IPv6Address(bytes(b)))


def sack_blocks(opts):
    i, out = 0, []
    while i < len(opts) and opts[i] != 0:
        if opts[i] == 1:
            i += 1
            continue
        ln = opts[i + 1]
        if opts[i] == 5:
            for k in range(i + 2, i + ln, 8):
                out.append(struct.unpack('!II', opts[k:k + 8]))
        i += ln
    return out


# --- the emulator's event log -------------------------------------------------

class Event:
    def __init__(self, line, lineno):
        kv = dict(w.split('=', 1) for w in line.split() if '=' in w)
        self.lineno = lineno
        self.t = float(kv['t'])
        self.dir, self.ev = kv['dir'], kv['ev']
        self.len, self.crc = int(kv['len']), int(kv['crc'], 16)
        self.bit = int(kv['bit']) if 'bit' in kv else None
        self.src, self.dst = kv.get('src', ''), kv.get('dst', '')
        self.l3 = kv.get('l3')
        self.tcp = 'seq' in kv
        if self.tcp:
            self.saddr, self.daddr = kv['saddr'], kv['daddr']
            self.sport, self.dport = int(kv['sport']), int(kv['dport'])
            self.seq, self.ack = int(kv['seq']), int(kv['ack'])
            self.flags, self.plen = int(kv['flags'], 16), int(kv['plen'])
            self.sack = []
            if 'sack' in kv:
                for blk in kv['sack'].split(','):
                    le, re_ = blk.split('-')
                    self.sack.append((int(le), int(re_)))
        self.frame = None  # the captured frame it matched
        self.stream = None

    def key(self):
        return (self.saddr, self.sport, self.daddr, self.dport)

    def seqlen(self):
        return self.plen + bool(self.flags & SYN) + bool(self.flags & FIN)

    def lost(self):
        return self.ev in LOST_EVENTS

    def describe(self):
        s = 'emulator %s %s (log line %d)' % (self.dir, self.ev, self.lineno)
        if self.tcp:
            s += ' seq=%u ack=%u len=%d' % (self.seq, self.ack, self.plen)
        return s


def read_log(path):
    events, truncated = [], False
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if line.startswith('truncated'):
                truncated = True
                continue
            if line.strip():
                events.append(Event(line, n))
    return events, truncated


# --- tshark -------------------------------------------------------------------

def tshark_config(tmp):
    """A configuration directory that disables all but KEEP_PROTOS."""
    out = subprocess.run(['tshark', '-G', 'protocols'], capture_output=True,
                         text=True, check=True).stdout
    off = []
    for line in out.splitlines():
        cols = line.split('\t')
        if len(cols) < 3:
            continue
        name = cols[2]
        base = name.split('.')[0]
        if base in KEEP_PROTOS or name.startswith('_ws.'):
            continue
        off.append(name)
    with open(os.path.join(tmp, 'disabled_protos'), 'w') as f:
        f.write('\n'.join(off) + '\n')
    return tmp


def run_tshark(pcap, cfg):
    cmd = ['tshark', '-n', '-r', pcap,
           '-o', 'tcp.check_checksum:TRUE', '-o', 'ip.check_checksum:TRUE',
           '-o', 'tcp.analyze_sequence_numbers:TRUE',
           '-o', 'tcp.desegment_tcp_streams:FALSE',
           '-T', 'fields', '-E', 'separator=\t', '-E', 'occurrence=a',
           '-E', 'aggregator=\x1f']
    for f in FIELDS:
        cmd += ['-e', f]
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=cfg)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if p.returncode != 0:
        raise RuntimeError('tshark failed: ' + p.stderr.strip()[-300:])
    rows = []
    for line in p.stdout.splitlines():
        cols = line.split('\t')
        cols += [''] * (len(FIELDS) - len(cols))
        rows.append(dict(zip(FIELDS, cols)))
    return rows


# --- grading ------------------------------------------------------------------

class DirState:
    """One direction of one connection, in capture order."""

    def __init__(self):
        self.seen = Ranges()      # sequence space the capture has seen
        self.top = 0              # highest offset seen + 1
        self.first_lo = []        # new runs by start: first seen at
        self.first = []           # (lo, hi, ts)
        self.sent = []            # TX copies: (lo, hi, frame)
        self.acks = []            # the receiver's ACK frames (captured)
        self.ack_ts = []

    def add(self, lo, hi, ts):
        for a, b in runs_minus([(lo, hi)], self.seen):
            i = bisect.bisect_left(self.first_lo, a)
            self.first_lo.insert(i, a)
            self.first.insert(i, (a, b, ts))
        self.seen.add(lo, hi)
        self.top = max(self.top, hi)

    def first_seen(self, runs):
        """When the earliest of the bytes in runs was first seen."""
        t = None
        for lo, hi in runs:
            i = max(0, bisect.bisect_right(self.first_lo, lo) - 1)
            while i < len(self.first) and self.first[i][0] < hi:
                a, b, ts = self.first[i]
                if b > lo and (t is None or ts < t):
                    t = ts
                i += 1
        return t


class Grader:
    def __init__(self, args):
        self.args = args
        self.local = args.local_mac.lower()
        self.errors = []      # reasons without a frame
        self.bad = {}         # frame -> [reasons]
        self.retrans = 0
        self.explained = 0
        self.how = {}         # explained retransmissions by reason

    def err(self, frame, why):
        if frame is None:
            self.errors.append(why)
        else:
            self.bad.setdefault(frame, []).append(why)

    def is_tx(self, x):
        return x.src == self.local

    # Sequence numbers as offsets from each direction's first one.
    def off(self, stream, key, seq):
        b = self.base.get((stream, key))
        return None if b is None else (seq - b) % (1 << 32)

    def acked(self, x, stream, dkey):
        """The data of direction dkey that segment (or event) x acknowledges:
        below its cumulative ACK, and its SACK blocks."""
        runs = []
        if x.flags & 0x10:
            o = self.off(stream, dkey, x.ack)
            if o:
                runs.append((0, o))
        for le, re_ in x.sack:
            a, b = self.off(stream, dkey, le), self.off(stream, dkey, re_)
            if a is not None and b is not None and a < b:
                runs.append((a, b))
        return Ranges(runs)

    def delivered(self, e):
        """Did the frame of event e reach its receiver, as far as its checks
        go? Lost: no; corrupted: only if the flipped bit left it valid (an
        IPv6 flow label, say: nothing covers it)."""
        if e.lost():
            return False
        if e.frame is not None:
            if not self.is_tx(e.frame):
                return e.frame.valid
            d = bytearray(e.frame.data)
            d[e.bit >> 3] ^= 1 << (e.bit & 7)
            return Frame(0, 0, bytes(d), len(d)).valid
        return False

    def load(self):
        a = self.args
        pc = Pcap(a.pcap)
        self.pcap = pc
        self.frames = [Frame(i + 1, ts, data, wl)
                       for i, (ts, _, data, wl) in enumerate(pc.records)]
        for x in self.frames:
            if a.mtu and x.wirelen > a.mtu + ETH_HLEN + 8:
                self.err(x, 'frame of %d bytes: larger than the MTU '
                         '(GRO or TSO: not what was on the wire)' %
                         x.wirelen)
            if len(x.data) < x.wirelen:
                self.err(x, 'cut to %d of %d bytes by the snap length: '
                         'checksums cannot be verified' %
                         (len(x.data), x.wirelen))
        self.events, self.truncated = [], False
        if a.lem_log:
            self.events, self.truncated = read_log(a.lem_log)

    def check_tcpdump(self):
        if not self.args.tcpdump_log:
            return
        nums = {}
        with open(self.args.tcpdump_log) as f:
            for line in f:
                w = line.split()
                if len(w) >= 3 and w[0].isdigit():
                    nums[' '.join(w[1:])] = int(w[0])
        cap = nums.get('packets captured')
        rcv = nums.get('packets received by filter')
        drop = nums.get('packets dropped by kernel', 0)
        ifdrop = nums.get('packets dropped by interface', 0)
        if cap is None:
            self.err(None, 'tcpdump did not report its counts (killed?)')
            return
        if cap != rcv or drop or ifdrop:
            self.err(None, 'tcpdump captured %s of %s packets, %d dropped '
                     'by the kernel, %d by the interface' % (cap, rcv, drop,
                                                            ifdrop))
        if cap != len(self.frames):
            self.err(None, 'tcpdump captured %d packets, the file has %d' %
                     (cap, len(self.frames)))

    def match_events(self):
        """Find each logged event's frame in the capture."""
        by_crc = {}
        for x in self.frames:
            if self.is_tx(x):
                by_crc.setdefault((len(x.data), zlib.crc32(x.data)),
                                  []).append(x)
        rx_bad = [x for x in self.frames
                  if not self.is_tx(x) and not x.valid]
        rx_ok = [x for x in self.frames if not self.is_tx(x) and x.valid]
        t0 = self.frames[0].ts if self.frames else 0
        t1 = self.frames[-1].ts if self.frames else 0
        for e in self.events:
            if e.src == self.local:
                # We sent it: the latest unmatched copy before the event.
                cands = [x for x in by_crc.get((e.len, e.crc), ())
                         if x.ts <= e.t + 0.001 and x.event is None]
                if cands:
                    e.frame = cands[-1]
                    e.frame.event = e
            elif e.ev == 'corrupt':
                # It reached us with the bit flipped; mostly invalid.
                for x in rx_bad + rx_ok:
                    if x.event is None and len(x.data) == e.len and \
                            x.src == e.src and x.dst == e.dst and \
                            x.ts + 0.001 >= e.t:
                        d = bytearray(x.data)
                        d[e.bit >> 3] ^= 1 << (e.bit & 7)
                        if zlib.crc32(bytes(d)) == e.crc:
                            e.frame, x.event = x, e
                            break
            if e.frame is None and t0 + 0.01 < e.t < t1 - 0.01 and \
                    (e.src == self.local or
                     (e.ev == 'corrupt' and e.dst == self.local)):
                self.err(None, '%s: not found in the capture' %
                         e.describe())

    def analyse(self):
        keep = [x.event is None or self.is_tx(x) or x.valid
                for x in self.frames]
        kept = [x for x, k in zip(self.frames, keep) if k]
        with tempfile.TemporaryDirectory() as tmp:
            clean = os.path.join(tmp, 'clean.pcap')
            self.pcap.write(clean, keep)
            rows = run_tshark(clean, tshark_config(tmp))
        if len(rows) != len(kept):
            raise RuntimeError('tshark read %d frames of %d' %
                               (len(rows), len(kept)))
        for x, r in zip(kept, rows):
            self.check_row(x, r)
        self.kept = kept

    def check_row(self, x, r):
        if r['tcp.stream']:
            x.stream = int(r['tcp.stream'].split(AGG)[0])
        if r['_ws.malformed']:
            self.err(x, 'malformed packet')
        sev = r['_ws.expert.severity'].split(AGG)
        msg = r['_ws.expert.message'].split(AGG)
        for i, s in enumerate(sev):
            if s and int(s) >= SEV_ERROR:
                self.err(x, 'expert error: %s' %
                         (msg[i] if i < len(msg) else '?'))
        tcs = r['tcp.checksum.status'].split(AGG)[0]
        ics = r['ip.checksum.status'].split(AGG)[0]
        if x.tcp and tcs != '1':
            self.err(x, 'TCP checksum %s' %
                     ('bad' if tcs == '0' else 'not verified'))
        if x.l3 == 'ip4' and ics != '1':
            self.err(x, 'IPv4 header checksum %s' %
                     ('bad' if ics == '0' else 'not verified'))
        for f in INVALID:
            if r[f]:
                self.err(x, 'invalid header: %s' % f)
        if x.problem:
            self.err(x, x.problem)
        x.flagged = [f.split('.')[-1] for f in FLAGGED if r[f]]

    def set_bases(self):
        """Each direction's first sequence number, and the stream of each
        logged event (a lost frame's: the connection with its addresses
        and ports that had begun by then)."""
        self.base = {}
        starts = {}
        for x in self.kept:
            if x.valid and x.stream is not None:
                self.base.setdefault((x.stream, x.key()), x.seq)
                for k in (x.key(), (x.daddr, x.dport, x.saddr, x.sport)):
                    starts.setdefault((k, x.stream), x.ts)
        for e in self.events:
            if not e.tcp:
                continue
            if e.frame is not None and e.frame.stream is not None:
                e.stream = e.frame.stream
                continue
            best = None
            for (k, st), t in starts.items():
                if k == e.key() and t <= e.t + 0.001 and \
                        (best is None or t > best[1]):
                    best = (st, t)
            if best:
                e.stream = best[0]

    def explain_all(self):
        """Walk the capture in order, explaining each flagged frame."""
        self.dirs = {}
        self.lost = {}        # (stream, key) -> events: data not delivered
        self.lost_acks = {}   # (stream, data key) -> events: ACKs lost
        for e in self.events:
            if not e.tcp or e.stream is None or self.delivered(e):
                continue
            self.lost.setdefault((e.stream, e.key()), []).append(e)
            if e.flags & 0x10:
                rkey = (e.daddr, e.dport, e.saddr, e.sport)
                self.lost_acks.setdefault((e.stream, rkey), []).append(e)
        # Segments that arrived damaged: tshark may flag the next, good
        # copy of their data as a retransmission.
        self.damaged = set()
        for x in self.frames:
            if x.tcp and not x.valid and hasattr(x, 'plen'):
                self.damaged.add((x.key(), x.seq))
        for x in self.kept:
            if not x.valid or x.stream is None:
                if x.flagged:
                    self.retrans += 1
                continue
            k = (x.stream, x.key())
            st = self.dirs.setdefault(k, DirState())
            o = self.off(x.stream, x.key(), x.seq)
            lo, hi = o, o + x.seqlen()
            if x.flagged:
                self.retrans += 1
                why, how = self.explain(x, k, lo, hi, st)
                if why:
                    self.err(x, 'unexplained %s: %s' %
                             ('/'.join(x.flagged), why))
                else:
                    self.explained += 1
                    self.how[how] = self.how.get(how, 0) + 1
            st.add(lo, hi, x.ts)
            if self.is_tx(x) and hi > lo:
                st.sent.append((lo, hi, x))
            rk = (x.stream, (x.daddr, x.dport, x.saddr, x.sport))
            if rk in self.base:
                rs = self.dirs.setdefault(rk, DirState())
                rs.acks.append(x)
                rs.ack_ts.append(x.ts)

    def explain(self, x, k, lo, hi, st):
        """(None, how) if the flagged segment [lo, hi) of frame x is
        explained, else (why not, None)."""
        if hi <= lo:
            return 'it holds no data', None
        tx = self.is_tx(x)
        holes = runs_minus([(lo, min(hi, st.top))], st.seen)
        old = runs_inter([(lo, hi)], st.seen)
        if not holes and not old:
            # Beyond all the capture saw: flagged only because an earlier
            # copy arrived damaged (and is judged on its own).
            if (x.key(), x.seq) in self.damaged:
                return None, 'damaged'
            return 'new data, yet flagged', None
        if not self.args.lem_log:
            return 'no emulator on this path: nothing may be lost', None

        if holes:
            # Never seen here, though later data was: lost on the way to
            # us (we receive; a sender has seen all it sent).
            lost = Ranges()
            for e in self.lost.get(k, ()):
                if e.t <= x.ts + 0.001:
                    a = self.off(e.stream, e.key(), e.seq)
                    lost.add(a, a + e.seqlen())
            left = runs_minus(holes, lost)
            if left:
                return ('bytes %s never reached the capture and the '
                        'emulator logged no loss of them' %
                        fmt_runs(left)), None
        if not old:
            return None, 'lost'
        need = old
        if tx:
            # We sent them before: was the latest copy lost?
            todo, lost_last = Ranges(old), Ranges()
            for a, b, f in reversed(st.sent):
                if todo.empty():
                    break
                part = todo.inter(a, b)
                if not part:
                    continue
                if f.event is not None and not self.delivered(f.event):
                    for p in part:
                        lost_last.add(*p)
                todo = Ranges(runs_minus(todo.runs(), Ranges(part)))
            need = runs_minus(old, lost_last)
            if not need:
                return None, 'lost'
        # The receiver had them: did its acknowledgment get through?
        passed, dropped = Ranges(), Ranges()
        t_first = st.first_seen(need)
        i = bisect.bisect_left(st.ack_ts, t_first) if t_first else 0
        for f in st.acks[i:]:
            if f.ts > x.ts:
                break
            info = runs_inter(need, self.acked(f, x.stream, x.key()))
            if tx or f.event is None or self.delivered(f.event):
                for p in info:
                    passed.add(*p)
            else:
                for p in info:
                    dropped.add(*p)
        if tx:
            # The peer's ACKs that never reached us are in the log only.
            for e in self.lost_acks.get(k, ()):
                if e.t <= x.ts + 0.001:
                    for p in runs_inter(need,
                                        self.acked(e, x.stream, x.key())):
                        dropped.add(*p)
        known = runs_inter(need, passed)
        if known:
            return ('bytes %s had been acknowledged to the sender' %
                    fmt_runs(known)), None
        unacked = runs_minus(need, dropped)
        if unacked:
            return ('bytes %s had reached the receiver and the emulator '
                    'lost no acknowledgment of them' %
                    fmt_runs(unacked)), None
        return None, 'ack lost'

    def run(self):
        self.load()
        self.check_tcpdump()
        self.match_events()
        self.analyse()
        self.set_bases()
        self.explain_all()
        return self.report()

    def report(self):
        a = self.args
        ntcp = sum(1 for x in self.frames if x.tcp)
        streams = len({x.stream for x in self.frames if x.stream is not None})
        if self.retrans < a.min_retrans:
            self.err(None, '%d retransmissions, at least %d expected' %
                     (self.retrans, a.min_retrans))
        nerr = len(self.errors) + len(self.bad)
        line = ('capture %s: frames=%d tcp=%d streams=%d retrans=%d '
                'explained=%d%s errors=%d' %
                (a.name or os.path.basename(a.pcap), len(self.frames), ntcp,
                 streams, self.retrans, self.explained,
                 ' (%s)' % ', '.join('%s %d' % kv for kv in
                                     sorted(self.how.items()))
                 if self.how else '', nerr))
        if a.lem_log:
            nl = sum(1 for e in self.events if e.lost())
            nc = sum(1 for e in self.events if e.ev == 'corrupt')
            line += ' emulator: lost=%d corrupted=%d missed=%d%s' % (
                nl, nc, a.lem_missed, ' truncated' if self.truncated else '')
        print(line + (' FAIL' if nerr else ' PASS'))
        if nerr and (a.lem_missed or self.truncated):
            print('  note: the emulator dropped frames it could not log '
                  '(missed=%d%s)' % (a.lem_missed,
                                     ', log truncated' if self.truncated
                                     else ''))
        shown = 0
        for why in self.errors:
            print('  %s' % why)
            shown += 1
        for f in sorted(self.bad, key=lambda f: f.num):
            if shown >= a.show:
                print('  ... and %d more' % (nerr - shown))
                break
            print('  frame %d %.6f %s %s: %s' % (
                f.num, f.ts, 'tx' if self.is_tx(f) else 'rx', f.describe(),
                '; '.join(self.bad[f])))
            shown += 1
        return 1 if nerr else 0


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('pcap')
    p.add_argument('--local-mac', required=True)
    p.add_argument('--mtu', type=int, default=0)
    p.add_argument('--lem-log')
    p.add_argument('--lem-missed', type=int, default=0)
    p.add_argument('--tcpdump-log')
    p.add_argument('--min-retrans', type=int, default=0)
    p.add_argument('--show', type=int, default=20)
    p.add_argument('--name')
    args = p.parse_args()
    try:
        return Grader(args).run()
    except (OSError, ValueError, RuntimeError,
            subprocess.CalledProcessError) as e:
        print('capture %s: cannot grade: %s FAIL' %
              (args.name or args.pcap, e))
        return 2


if __name__ == '__main__':
    sys.exit(main())
