#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Grade a packet capture taken on the Linux side of an xtcp test.

    capture_grade.py PCAP --local-mac MAC [--mtu N]
                     [--lem-log FILE [--lem-missed N] [--ingress PCAP]...
                      [--events-only]]
                     [--tcpdump-log FILE] [--min-retrans N]
                     [--expect FILTER]... [--show N] [--name NAME]

tests/lib/capture.sh runs it (capture_grade); see there for the topology.

PCAP is a classic pcap (Ethernet) written by tcpdump on the Linux host's
interface; --local-mac is that interface's MAC, so frames it sent (TX) and
frames it received (RX) are told apart. tshark reads the capture with IPv4
and TCP checksum validation on (TCP over IPv6 included; IPv6 has no header
checksum) and only the protocols up to TCP enabled (payload heuristics
such as Thrift would otherwise report "errors" in random data), and the
grade fails on:

  - a malformed packet (_ws.malformed), any expert message of severity
    error, a bad or unverified IPv4 header or TCP checksum (0xffff for a
    zero sum is right, RFC 1624 3), a bad ICMP checksum;
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
    spurious_retransmission, and out_of_order (a segment that fills a hole
    at the receiver: a retransmission of something lost on the way, which
    tshark names out-of-order when it comes soon after, unless it was
    itself overtaken, below).

Retransmissions. The flagged segment is split into sequence space the
capture had not seen (holes: only at a receiver) and space it had; the
latter into what the previous copy of it, as the capture saw it, brought
to the receiver or not. Each part must be explained:

  - a hole: the emulator's event log (--lem-log; linkem --event-log,
    tools/linkem/evlog.h: a line per frame lost, dropped or corrupted,
    with its CRC-32, length, MACs and TCP header) has a loss or corruption
    of that connection's data covering it, before; or this very frame was
    overtaken on its way into the emulator (--ingress, below);
  - a copy we sent that the emulator lost or corrupted: that very frame
    (CRC-32, length, MACs) is in the log;
  - data the receiver had: unexplained if an acknowledgment of it (a
    cumulative ACK beyond it, a SACK block holding it) reached the sender
    more than an allowance (twice the handshake's round trip, 200..500 us)
    before; else explained when
      the emulator lost or corrupted every acknowledgment of it ("ack
      lost"), or
      its previous copy was overtaken on the way into the emulator, so
      the receiver had a hole it reported ("reordered"), or
      an earlier copy was lost or corrupted by the emulator, and a
      duplicate ACK the receiver sent before the previous copy reached it
      (within the allowance of it) came in after that copy left, and the
      sender resent within twice the allowance: RFC 6675 (4) starts a new
      recovery on such an ACK once the last ended, and (4.3) resends the
      first hole at once ("stale dup ACK"), or
      the segment carries a FIN the cumulative ACK had not reached (a FIN
      received out of order is not in SACK blocks, RFC 2018 3; "fin"), or
      the sender had heard nothing from the receiver for 1 ms or more and
      no acknowledgment of the data was on its way (a timer: Linux's tail
      loss probe, RFC 8985 7, RACK's reorder timer, an RTO; none is
      shorter. It is how Linux answers an xtcpd that was not scheduled
      for a few milliseconds on a loaded machine; "timer").

So with no emulator on the path only timers explain a retransmission.

Frames the emulator corrupted reach the receiver too: an RX frame whose
checksum fails is explained when flipping back the bit the log names gives
the logged CRC-32; such frames are left out of tshark's analysis (the
receiver dropped them too). An ICMP error quoting such a frame (a host
answering a damaged address or next header) is explained likewise. Log
events inside the capture's time span that cannot be found in it (a TX
frame lost or corrupted, an RX frame corrupted) fail the grade: the
matching would not be trustworthy.

--ingress PCAP (one or more; tcpdump -Q in on the emulator's ports) shows
the order frames entered the emulator in. A veth hands frames to per-CPU
backlogs, so two sent from different CPUs may swap before linkem: ours is
overtaken when one we sent later entered first, the peer's when it is the
first copy of data and data beyond it entered first (new data goes out in
order).

--min-retrans N fails a capture with fewer retransmissions (a lossy path
must show some); --expect FILTER fails it when no frame matches the tshark
display filter (say, that keep-alive probes were answered). --events-only
only checks that every logged event of a frame sent from --local-mac is
in the capture (a capture where frames enter the emulator: the log's
own test).

Prints one line:
    capture NAME: frames=N tcp=N streams=N retrans=N explained=N (how N,
                  ...) errors=N [FILTER]=N... [emulator: lost=N
                  corrupted=N missed=N] PASS|FAIL
and on failure the offending frames (up to --show, default 20), numbered
as in the capture, with why. Exit 0 pass, 1 fail, 2 usage or tool error.
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
# pcap timestamps have microseconds; linkem's log the same clock's ns.
CLOCK_SLACK = 5e-6
# An ACK captured less than ALLOW before a retransmission may not have
# counted yet; a sender silent-heard for TIMER_MIN may retransmit.
ALLOW_MIN, ALLOW_MAX, TIMER_MIN = 0.0002, 0.0005, 0.001
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
           'ip.checksum.status', 'tcp.checksum.ffff')
          + FLAGGED + INVALID)
ICMP_ERRORS = {4: (3, 4, 5, 11, 12), 6: (1, 2, 3, 4)}
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


def fmt_dt(dt):
    return '%d us' % round(dt * 1e6) if dt < 0.01 else '%.1f ms' % (dt * 1e3)


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
        self.quote = None  # an ICMP error's quoted packet
        self.about = None  # the corrupt event that quoted packet shows
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
        if struct.unpack('!H', d[off + 6:off + 8])[0] & 0x3fff:
            return
        if self.proto == 1:
            self.parse_icmp(4, d[off + hl:off + tot], b'')
        if self.proto != 6:
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
        if self.proto == 58:
            self.parse_icmp(6, d[off + 40:off + 40 + plen],
                            d[off + 8:off + 40] + struct.pack('!IxxxB', plen,
                                                              58))
        if self.proto != 6:
            return
        pseudo = d[off + 8:off + 40] + struct.pack('!IxxxB', plen, 6)
        self.parse_tcp(d[off + 40:off + 40 + plen], pseudo)

    def parse_icmp(self, ver, msg, pseudo):
        """An ICMP error: its checksum, and the packet it quotes."""
        if len(msg) < 8:
            self.problem = 'ICMP message of %d bytes' % len(msg)
            return
        if csum16(pseudo + msg) != 0xffff:
            self.problem = 'bad ICMP checksum'
            return
        if msg[0] in ICMP_ERRORS[ver]:
            self.quote = msg[8:]

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


def count_tshark(pcap, cfg, flt):
    """How many frames match the display filter flt."""
    env = dict(os.environ, WIRESHARK_CONFIG_DIR=cfg)
    p = subprocess.run(['tshark', '-n', '-r', pcap, '-Y', flt, '-T', 'fields',
                        '-e', 'frame.number'], capture_output=True, text=True,
                       env=env)
    if p.returncode != 0:
        raise RuntimeError('tshark -Y %r: %s' % (flt, p.stderr.strip()[-300:]))
    return len(p.stdout.split())


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
        self.copies = []          # every copy captured: (lo, hi, frame)
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
        self.load_ingress()

    def load_ingress(self):
        """--ingress: the frames entering the emulator, in the order it
        got them. A frame overtaken on the way there (a veth hands frames
        to per-CPU backlogs, so those sent from two CPUs may swap) reaches
        the receiver late: a hole it reports, which the sender fills with
        a retransmission although nothing was lost."""
        ing = []
        for path in self.args.ingress:
            pc = Pcap(path)
            ing += [Frame(0, ts, d, wl) for ts, _, d, wl in pc.records]
        ing.sort(key=lambda f: f.ts)
        where = {}
        for i, f in enumerate(ing):
            f.pos = i
            where.setdefault((len(f.data), zlib.crc32(f.data)), []).append(f)
        # Each captured frame's entry, the first unclaimed with its bytes.
        for x in self.frames:
            x.entry = None
            x.overtaken = False
            lst = where.get((len(x.data), zlib.crc32(x.data)))
            if lst:
                x.entry = lst.pop(0)
                x.entry.frame = x
        # We sent it: overtaken if a frame we sent later, on its
        # connection, entered before it.
        low = {}
        for x in reversed(self.frames):
            if x.entry is None or not self.is_tx(x) or not x.valid:
                continue
            m = low.get(x.key())
            x.overtaken = m is not None and m < x.entry.pos
            low[x.key()] = x.entry.pos if m is None else min(m, x.entry.pos)
        # The peer sent it: new data goes out in order, so a first copy
        # of bytes entering after bytes beyond it was overtaken.
        seen, top, base = {}, {}, {}
        for f in ing:
            if not f.valid or self.is_tx(f):
                continue
            k = f.key()
            b = base.setdefault(k, f.seq)
            lo = (f.seq - b) % (1 << 32)
            hi = lo + f.seqlen()
            r = seen.setdefault(k, Ranges())
            first = hi > lo and not r.inter(lo, hi)
            if first and top.get(k, 0) > lo and \
                    getattr(f, 'frame', None) is not None:
                f.frame.overtaken = True
            r.add(lo, hi)
            top[k] = max(top.get(k, 0), hi)

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
                # We sent it: the latest unmatched copy before the event
                # (a retransmission may carry the very same bytes; the
                # capture and linkem read the same clock).
                cands = [x for x in by_crc.get((e.len, e.crc), ())
                         if x.ts <= e.t + CLOCK_SLACK and x.event is None]
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
            if e.frame is None and t0 + 0.001 < e.t < t1 - 0.001 and \
                    (e.src == self.local or
                     (e.ev == 'corrupt' and e.dst == self.local and
                      not self.args.events_only)):
                self.err(None, '%s: not found in the capture' %
                         e.describe())

    def match_quotes(self):
        """ICMP errors whose quoted packet is one the emulator corrupted
        (a host answered the damaged frame: an unknown next header, an
        address that is not its own)."""
        damaged = []
        for e in self.events:
            if e.ev != 'corrupt' or e.frame is None:
                continue
            d = bytearray(e.frame.data)
            if self.is_tx(e.frame):
                d[e.bit >> 3] ^= 1 << (e.bit & 7)
            damaged.append((bytes(d[ETH_HLEN:]), e))
        for x in self.frames:
            if not x.quote:
                continue
            for pkt, e in damaged:
                if pkt.startswith(x.quote) and e.frame.ts <= x.ts + 0.001:
                    x.about = e
                    break

    def analyse(self):
        self.match_quotes()
        keep = [x.event is None or self.is_tx(x) or x.valid
                for x in self.frames]
        kept = [x for x, k in zip(self.frames, keep) if k]
        self.expected = []
        with tempfile.TemporaryDirectory() as tmp:
            clean = os.path.join(tmp, 'clean.pcap')
            self.pcap.write(clean, keep)
            rows = run_tshark(clean, tshark_config(tmp))
            for flt in self.args.expect:
                n = count_tshark(clean, tmp, flt)
                self.expected.append((flt, n))
                if n < 1:
                    self.err(None, 'no frame matches %s' % flt)
        if len(rows) != len(kept):
            raise RuntimeError('tshark read %d frames of %d' %
                               (len(rows), len(kept)))
        for x, r in zip(kept, rows):
            self.check_row(x, r)
        self.kept = kept

    def check_row(self, x, r):
        if r['tcp.stream']:
            x.stream = int(r['tcp.stream'].split(AGG)[0])
        if x.about is not None:
            # An ICMP error about a frame the emulator corrupted: what
            # tshark finds wrong is in the quoted frame. Our own parse
            # checked the outer headers and the ICMP checksum.
            if x.problem:
                self.err(x, x.problem)
            return
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
        # 0xffff for a sum of zero is right too (RFC 1624 3; tshark warns).
        ffff = tcs == '0' and r['tcp.checksum.ffff'] and x.valid
        if x.tcp and tcs != '1' and not ffff:
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
        hs = {}
        for x in self.kept:
            if x.valid and x.stream is not None:
                self.base.setdefault((x.stream, x.key()), x.seq)
                for k in (x.key(), (x.daddr, x.dport, x.saddr, x.sport)):
                    starts.setdefault((k, x.stream), x.ts)
                # The handshake's round trip as seen here: our SYN or
                # SYN-ACK to the answer to it.
                h = hs.setdefault(x.stream, {})
                if x.flags & SYN and self.is_tx(x) and 'out' not in h:
                    h['out'] = x.ts
                elif 'out' in h and not self.is_tx(x) and 'rtt' not in h:
                    h['rtt'] = x.ts - h['out']
        # How long an ACK the capture shows may take to count: twice the
        # handshake's round trip, within [200 us, 500 us] (less than the
        # shortest timer, below).
        self.allowance = {st: min(ALLOW_MAX, max(ALLOW_MIN, 2 * h['rtt']))
                          for st, h in hs.items() if 'rtt' in h}
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
            if hi > lo:
                st.copies.append((lo, hi, x))
            rk = (x.stream, (x.daddr, x.dport, x.saddr, x.sport))
            if rk in self.base:
                rs = self.dirs.setdefault(rk, DirState())
                rs.acks.append(x)
                rs.ack_ts.append(x.ts)

    def reached(self, f):
        """Did captured frame f reach the other end? (TX: unless the
        emulator lost it; RX: it is here.)"""
        return not self.is_tx(f) or f.event is None or \
            self.delivered(f.event)

    def explain(self, x, k, lo, hi, st):
        """(None, how) if the flagged segment [lo, hi) of frame x is
        explained, else (why not, None)."""
        if hi <= lo:
            return 'it holds no data', None
        holes = runs_minus([(lo, min(hi, st.top))], st.seen)
        old = runs_inter([(lo, hi)], st.seen)
        if not holes and not old:
            # Beyond all the capture saw: flagged only because an earlier
            # copy arrived damaged (and is judged on its own).
            if (x.key(), x.seq) in self.damaged:
                return None, 'damaged'
            return 'new data, yet flagged', None
        if holes:
            # Never seen here, though later data was: lost on the way to
            # us (we receive; a sender has seen all it sent).
            lost = Ranges()
            for e in self.lost.get(k, ()):
                if e.t <= x.ts + 0.001:
                    a = self.off(e.stream, e.key(), e.seq)
                    lost.add(a, a + e.seqlen())
            left = runs_minus(holes, lost)
            if left and x.overtaken:
                return None, 'reordered'
            if left:
                return ('bytes %s never reached the capture and %s' %
                        (fmt_runs(left),
                         'the emulator logged no loss of them'
                         if self.args.lem_log else
                         'no emulator is on this path')), None
        if not old:
            return None, 'lost'
        # Seen before: the latest earlier copy of each byte. A copy we
        # sent may have been lost by the emulator after the capture.
        todo, need, prev = Ranges(old), Ranges(), None
        for a, b, f in reversed(st.copies):
            if todo.empty():
                break
            part = todo.inter(a, b)
            if not part:
                continue
            if self.reached(f):
                for p in part:
                    need.add(*p)
                prev = prev or f
            todo = Ranges(runs_minus(todo.runs(), Ranges(part)))
        need = need.runs()
        if not need:
            return None, 'lost'
        # The receiver had them. Did it tell the sender? An ACK the
        # capture shows less than an allowance before the retransmission
        # may not have been taken into account yet: still on its way (we
        # receive), or waiting to be processed (we send).
        allow = self.allowance.get(x.stream, ALLOW_MAX)
        known, dropped, late = Ranges(), Ranges(), None
        t_first = st.first_seen(need)
        known_at = None
        i = bisect.bisect_left(st.ack_ts, t_first) if t_first else 0
        for f in st.acks[i:]:
            if f.ts > x.ts:
                break
            info = runs_inter(need, self.acked(f, x.stream, x.key()))
            if not info:
                continue
            if not self.reached(f):
                for p in info:
                    dropped.add(*p)
            elif f.ts <= x.ts - allow:
                for p in info:
                    known.add(*p)
                known_at = known_at or f
            else:
                late = late or f
        if x.flags & FIN:
            # A FIN the receiver got out of order cannot be acknowledged
            # before the data below it: SACK blocks hold data (RFC 2018
            # 3), so the sender resends the FIN, with its segment's data,
            # until the cumulative ACK reaches it.
            cum = None
            for f in reversed(st.acks[:bisect.bisect_left(st.ack_ts,
                                                            x.ts)]):
                if self.reached(f) and f.flags & 0x10:
                    cum = self.off(x.stream, x.key(), f.ack)
                    break
            if cum is not None and cum < lo:
                return None, 'fin'
        if self.is_tx(x):
            # The peer's ACKs that never reached us are in the log only.
            for e in self.lost_acks.get(k, ()):
                if e.t <= x.ts + 0.001:
                    for p in runs_inter(need,
                                        self.acked(e, x.stream, x.key())):
                        dropped.add(*p)
        if not known.empty():
            return ('bytes %s were acknowledged to the sender in frame %d, '
                    '%s before' % (fmt_runs(known.runs()), known_at.num,
                                   fmt_dt(x.ts - known_at.ts))), None
        unacked = runs_minus(need, dropped)
        if not unacked:
            return None, 'ack lost'
        if prev.overtaken:
            # It reached the receiver behind later data: a hole there
            # for a while, which the sender was told of.
            return None, 'reordered'
        if self.stale_dupack(x, k, st, prev, unacked, allow):
            return None, 'stale dup ACK'
        # A timer: the sender had heard nothing from the receiver for at
        # least 1 ms (its tail loss probe, RFC 8985 7, or RACK's reorder
        # timer, or an RTO; none is shorter) and the data was not known
        # to have arrived.
        last = None
        for f in reversed(st.acks[:bisect.bisect_left(st.ack_ts, x.ts)]):
            if self.reached(f):
                last = f
                break
        t_last = max(last.ts if last else 0, prev.ts)
        if late is None and x.ts - t_last >= TIMER_MIN:
            return None, 'timer'
        heard = None
        j = bisect.bisect_right(st.ack_ts, prev.ts)
        for f in st.acks[j:]:
            if f.ts >= x.ts:
                break
            if self.reached(f):
                heard = f
                break
        why = ('bytes %s: the previous copy (frame %d, %s before) reached '
               'the receiver' % (fmt_runs(unacked), prev.num,
                                 fmt_dt(x.ts - prev.ts)))
        if late is not None:
            why += (', its acknowledgment (frame %d) came %s before this' %
                    (late.num, fmt_dt(x.ts - late.ts)))
        elif heard is not None:
            why += (', which then sent frame %d (%s before this) without '
                    'acknowledging them' % (heard.num,
                                             fmt_dt(x.ts - heard.ts)))
        if self.args.lem_log:
            why += '; the emulator lost no acknowledgment of them'
        return why, None

    def stale_dupack(self, x, k, st, prev, need, allow):
        """Did the sender resend data lost once because a duplicate ACK
        the receiver sent before the previous copy reached it came in
        after that copy left? RFC 6675 (4) starts a recovery on such an
        ACK once the last one ended, and (4.3) resends HighACK + 1 at once,
        though it is on its way. The ACK must be within an allowance of
        the previous copy (in flight across it) and an earlier copy of the
        data must have been lost or corrupted by the emulator."""
        # At once: within a round trip of the previous copy.
        if x.ts - prev.ts > 2 * allow:
            return False
        lo = need[0][0]
        earlier = False
        if self.is_tx(x):
            for a, b, f in st.copies:
                if f is prev:
                    break
                if a <= lo < b and not self.reached(f):
                    earlier = True
        else:
            for e in self.lost.get(k, ()):
                a = self.off(e.stream, e.key(), e.seq)
                if e.t <= prev.ts and a <= lo < a + e.seqlen():
                    earlier = True
        if not earlier:
            return False
        # We receive: the ACK left here before the copy arrived. We send:
        # it arrived here after the copy left.
        t0, t1 = ((prev.ts, prev.ts + allow) if self.is_tx(x) else
                  (prev.ts - allow, prev.ts))
        for f in st.acks[bisect.bisect_left(st.ack_ts, t0):]:
            if f.ts > t1 or f.ts >= x.ts:
                break
            if self.reached(f) and f.flags & 0x10 and \
                    not runs_inter(need, self.acked(f, x.stream, x.key())):
                return True
        return False

    def run(self):
        self.load()
        self.check_tcpdump()
        self.match_events()
        if self.args.events_only:
            return self.report_events()
        self.analyse()
        self.set_bases()
        self.explain_all()
        return self.report()

    def report_events(self):
        """--events-only: were the frames sent from here that the emulator
        logged all found?"""
        t0 = self.frames[0].ts if self.frames else 0
        t1 = self.frames[-1].ts if self.frames else 0
        mine = [e for e in self.events if e.src == self.local and
                t0 + 0.001 < e.t < t1 - 0.001]
        found = sum(1 for e in mine if e.frame is not None)
        nerr = len(self.errors)
        print('capture %s: frames=%d events of its frames logged meanwhile=%d'
              ' found=%d errors=%d%s' % (self.args.name or self.args.pcap,
                               len(self.frames), len(mine), found, nerr,
                               ' FAIL' if nerr or not mine else ' PASS'))
        for why in self.errors[:self.args.show]:
            print('  %s' % why)
        if not mine:
            print('  no event of a frame from %s in the log' % self.local)
        return 1 if nerr or not mine else 0

    def report(self):
        a = self.args
        ntcp = sum(1 for x in self.frames if x.tcp)
        streams = len({x.stream for x in self.frames
                       if x.tcp and x.stream is not None})
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
        for flt, n in self.expected:
            line += ' [%s]=%d' % (flt, n)
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
    p.add_argument('--expect', action='append', default=[])
    p.add_argument('--events-only', action='store_true')
    p.add_argument('--ingress', action='append', default=[])
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
