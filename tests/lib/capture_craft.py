#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Write small crafted captures, to show that capture_grade.py can fail.

    capture_craft.py SCENARIO OUT.pcap OUT.events [OUT.ingress.pcap]

Host L (the capture's side, MAC 02:78:74:00:00:01, 198.18.0.1) talks to
host X (02:78:74:00:00:02, 198.18.0.2) over IPv4: a handshake, data from X
to L and from L to X, a FIN each way, every checksum right, options as
Linux sends them. OUT.events is a linkem event log (tools/linkem/evlog.h)
for the scenarios that have an emulator, else empty; OUT.ingress.pcap,
what entered the emulator from L (capture_grade.py --ingress). Scenarios:

  clean          the exchange as it should be (passes)
  badsum         one of X's data segments has a wrong TCP checksum
  badipsum       one of X's data segments has a wrong IPv4 header checksum
  badopt         X's SYN-ACK carries an MSS option of length 3
  optpast        one of L's ACKs has a timestamp option running past the
                 header
  badhdrlen      one of X's segments has a data offset of 4 (16 bytes)
  retrans        X sends a data segment twice, 200 us apart, nothing lost
                 it
  lost-retrans   X's first data segment is lost by the emulator (logged),
                 then retransmitted (passes with the log)
  lost-unlogged  the same, but the log does not have the loss
  acked-retrans  L retransmits a segment X had acknowledged (a log with
                 nothing in it)
  ackloss-retrans  L retransmits a segment X had received, but X's ACK of
                 it was lost by the emulator (logged; passes)
  corrupt        one of X's segments arrives with a bit flipped; the log
                 has it (passes)
  corrupt-unlogged the same without the log line
  timer          L resends a segment after X was silent for 5 ms (a tail
                 loss probe; passes, no emulator needed)
  hasty          L resends a segment 200 us after sending it, X having
                 answered something else meanwhile
  reordered      L's segment is overtaken by its next one on the way into
                 the emulator; X reports the hole, L resends it (passes
                 with the ingress capture)
  stale          as lost-retrans, then X resends the segment once more
                 100 us later, on L's duplicate ACK sent just before the
                 first resent copy arrived (passes with the log)
  stale-unlogged the same without the loss in the log
"""

import struct
import sys
import zlib

L_MAC, X_MAC = bytes.fromhex('027874000001'), bytes.fromhex('027874000002')
L_IP, X_IP = bytes([198, 18, 0, 1]), bytes([198, 18, 0, 2])
L_PORT, X_PORT = 40000, 9000
L_ISN, X_ISN = 1000000, 5000000
SYN, ACK, FIN, PSH = 0x02, 0x10, 0x01, 0x08


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


class Seg:
    def __init__(self, frm, seq, ack, flags, data=b'', opts=b'',
                 bad_tcp=False, bad_ip=False, doff=None, ipid=0):
        self.frm, self.seq, self.ack, self.flags = frm, seq, ack, flags
        self.data, self.opts = data, opts
        self.bad_tcp, self.bad_ip, self.doff, self.ipid = (bad_tcp, bad_ip,
                                                           doff, ipid)
        self.lost = False
        self.flip = None
        self.dt = 0.001  # after the segment before it

    def frame(self):
        l2x = self.frm == 'L'
        smac, dmac = (L_MAC, X_MAC) if l2x else (X_MAC, L_MAC)
        sip, dip = (L_IP, X_IP) if l2x else (X_IP, L_IP)
        sp, dp = (L_PORT, X_PORT) if l2x else (X_PORT, L_PORT)
        opts = self.opts + b'\0' * (-len(self.opts) % 4)
        hl = 20 + len(opts)
        doff = self.doff if self.doff is not None else hl // 4
        tcp = struct.pack('!HHIIBBHHH', sp, dp, self.seq, self.ack,
                          doff << 4, self.flags, 64240, 0, 0) + opts + \
            self.data
        pseudo = sip + dip + struct.pack('!BBH', 0, 6, len(tcp))
        c = csum(pseudo + tcp)
        if self.bad_tcp:
            c ^= 0x5a5a
        tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
        ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(tcp),
                         self.ipid, 0x4000, 64, 6, 0, sip, dip)
        c = csum(ip)
        if self.bad_ip:
            c ^= 0x00ff
        ip = ip[:10] + struct.pack('!H', c) + ip[12:]
        return dmac + smac + b'\x08\x00' + ip + tcp


def ts_opt(val, ecr):
    return b'\x01\x01\x08\x0a' + struct.pack('!II', val, ecr)


def syn_opts(mss_len=4):
    mss = bytes([2, mss_len]) + struct.pack('!H', 1460)[:mss_len - 2]
    return mss + b'\x04\x02' + b'\x08\x0a' + struct.pack('!II', 1, 0) + \
        b'\x01\x03\x03\x07'


def exchange(scn):
    """The segments in order; .lost ones the emulator lost (not captured),
    .flip ones it corrupted (captured with the bit flipped)."""
    li, xi = L_ISN + 1, X_ISN + 1
    a = b'a' * 1000
    b = b'b' * 1000
    segs = [
        Seg('L', L_ISN, 0, SYN, opts=syn_opts(), ipid=1),
        Seg('X', X_ISN, li, SYN | ACK,
            opts=syn_opts(3 if scn == 'badopt' else 4)),
        Seg('L', li, xi, ACK, opts=ts_opt(2, 1), ipid=2),
    ]
    x1 = Seg('X', xi, li, ACK | PSH, a, ts_opt(10, 2), ipid=10,
             bad_tcp=scn == 'badsum', bad_ip=scn == 'badipsum',
             doff=4 if scn == 'badhdrlen' else None)
    x2 = Seg('X', xi + 1000, li, ACK | PSH, a, ts_opt(10, 2), ipid=11)
    sack = b'\x01\x01\x05\x0a' + struct.pack('!II', xi + 1000, xi + 2000)
    if scn in ('lost-retrans', 'lost-unlogged'):
        x1.lost = True
        segs += [x1, x2, Seg('L', li, xi, ACK, opts=ts_opt(3, 10) + sack, ipid=3),
                 Seg('X', xi, li, ACK | PSH, a, ts_opt(11, 3), ipid=12)]
    elif scn in ('stale', 'stale-unlogged'):
        x1.lost = True
        dup = Seg('L', li, xi, ACK, opts=ts_opt(3, 10) + sack, ipid=3)
        p = Seg('X', xi, li, ACK | PSH, a, ts_opt(11, 3), ipid=12)
        ack = Seg('L', li, xi + 2000, ACK, opts=ts_opt(3, 11), ipid=4)
        again = Seg('X', xi, li, ACK | PSH, a, ts_opt(11, 3), ipid=13)
        p.dt, ack.dt, again.dt = 0.0001, 0.00005, 0.00005
        segs += [x1, x2, dup, p, ack, again]
    elif scn in ('corrupt', 'corrupt-unlogged'):
        x2.flip = (14 + 20 + 32 + 100) * 8 + 3  # a bit of the payload
        segs += [x1, x2, Seg('L', li, xi + 1000, ACK, opts=ts_opt(3, 10), ipid=3),
                 Seg('X', xi + 1000, li, ACK | PSH, a, ts_opt(11, 3),
                     ipid=12)]
    else:
        segs += [x1, x2]
        if scn == 'retrans':
            again = Seg('X', xi + 1000, li, ACK | PSH, a, ts_opt(10, 2),
                        ipid=13)
            again.dt = 0.0002
            segs.append(again)
    opt = ts_opt(3, 10)
    if scn == 'optpast':
        opt = b'\x01\x01\x08\x0e' + struct.pack('!II', 3, 10)
    segs.append(Seg('L', li, xi + 2000, ACK, opts=opt, ipid=4))
    # L sends data; X acknowledges it (or the ACK is lost).
    segs.append(Seg('L', li, xi + 2000, ACK | PSH, b, ts_opt(4, 10), ipid=5))
    xack = Seg('X', xi + 2000, li + 1000, ACK, opts=ts_opt(12, 4), ipid=14)
    xack.lost = scn == 'ackloss-retrans'
    if scn == 'reordered':
        # l1 and l2 go out; l2 enters the emulator first (the ingress
        # capture below), so X SACKs it and L resends l1.
        l2 = Seg('L', li + 1000, xi + 2000, ACK | PSH, b, ts_opt(4, 10),
                 ipid=9)
        dup = Seg('X', xi + 2000, li, ACK,
                  opts=ts_opt(12, 4) + b'\x01\x01\x05\x0a' +
                  struct.pack('!II', li + 1000, li + 2000), ipid=17)
        again = Seg('L', li, xi + 2000, ACK | PSH, b, ts_opt(5, 12), ipid=6)
        l2.dt = dup.dt = again.dt = 0.0001
        segs += [l2, dup, again]
        xack = Seg('X', xi + 2000, li + 2000, ACK, opts=ts_opt(13, 5),
                   ipid=14)
        xack.dt = 0.0001
        li += 1000
    if scn in ('timer', 'hasty'):
        # X answers late (timer) or with an old ACK at once (hasty); L
        # resends before either tells it anything.
        again = Seg('L', li, xi + 2000, ACK | PSH, b, ts_opt(9, 10), ipid=6)
        if scn == 'timer':
            again.dt = 0.005
            segs.append(again)
        else:
            old = Seg('X', xi + 2000, li, ACK, opts=ts_opt(12, 4), ipid=17)
            old.dt = again.dt = 0.0001
            segs += [old, again]
        xack.dt = 0.0001
    segs.append(xack)
    if scn in ('acked-retrans', 'ackloss-retrans'):
        segs.append(Seg('L', li, xi + 2000, ACK | PSH, b, ts_opt(300, 10),
                        ipid=6))
        if scn == 'ackloss-retrans':
            segs.append(Seg('X', xi + 2000, li + 1000, ACK,
                            opts=ts_opt(13, 300), ipid=15))
    segs += [
        Seg('L', li + 1000, xi + 2000, ACK | FIN, opts=ts_opt(5, 12),
            ipid=7),
        Seg('X', xi + 2000, li + 1001, ACK | FIN, opts=ts_opt(14, 5),
            ipid=16),
        Seg('L', li + 1001, xi + 2001, ACK, opts=ts_opt(6, 14), ipid=8),
    ]
    return segs


def event_line(t, ev, seg, frame, bit=None):
    l2x = seg.frm == 'L'
    mac = lambda m: ':'.join('%02x' % v for v in m)
    sip, dip = ('198.18.0.1', '198.18.0.2') if l2x else ('198.18.0.2',
                                                         '198.18.0.1')
    sp, dp = (L_PORT, X_PORT) if l2x else (X_PORT, L_PORT)
    s = 't=%.9f dir=%s ev=%s copy=0 len=%d crc=%08x' % (
        t, 'ab' if l2x else 'ba', ev, len(frame), zlib.crc32(frame))
    if bit is not None:
        s += ' bit=%d' % bit
    s += ' src=%s dst=%s l3=ip4 saddr=%s daddr=%s proto=6' % (
        mac(L_MAC if l2x else X_MAC), mac(X_MAC if l2x else L_MAC), sip, dip)
    s += ' sport=%d dport=%d seq=%u ack=%u flags=0x%02x plen=%d' % (
        sp, dp, seg.seq, seg.ack, seg.flags, len(seg.data))
    return s + '\n'


def write_pcap(path, recs):
    with open(path, 'wb') as fo:
        fo.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for ts, f in recs:
            sec = int(ts)
            usec = int(round((ts - sec) * 1e6))
            fo.write(struct.pack('<IIII', sec, usec, len(f), len(f)) + f)


def main():
    if len(sys.argv) not in (4, 5):
        sys.exit(__doc__)
    scn, out, evout = sys.argv[1:4]
    ts = 1700000000.0
    recs, events = [], []
    for s in exchange(scn):
        f = s.frame()
        ts += s.dt
        # The emulator sees X's frames before the capture, L's after.
        tev = ts - 0.0002 if s.frm == 'X' else ts + 0.0002
        if s.lost:
            events.append(event_line(tev, 'lost', s, f))
            continue
        if s.flip is not None:
            events.append(event_line(tev, 'corrupt', s, f, s.flip))
            b = bytearray(f)
            b[s.flip >> 3] ^= 1 << (s.flip & 7)
            f = bytes(b)
        recs.append((ts, f))
    if scn.endswith('-unlogged') or scn == 'acked-retrans':
        events = []
    write_pcap(out, recs)
    if len(sys.argv) == 5:
        # What entered the emulator from L: its frames, a moment later,
        # the first data segment behind the second when reordered.
        ing = [(ts + 0.00002, f) for ts, f in recs if f[6:12] == L_MAC]
        if scn == 'reordered':
            d = [i for i, (_, f) in enumerate(ing) if len(f) > 1000]
            (t1, f1), (t2, f2) = ing[d[0]], ing[d[1]]
            ing[d[0]], ing[d[1]] = (t1, f2), (t2, f1)
        write_pcap(sys.argv[4], ing)
    with open(evout, 'w') as fo:
        fo.writelines(events)


if __name__ == '__main__':
    main()
