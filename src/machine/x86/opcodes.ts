// x86-64 opcode maps as data (one-byte, 0F, 0F38, 0F3A, groups, x87, 3DNow): mnemonics and operand specs for the full decoder.

/*
 * Entry syntax (Intel operand order, like the SDM's opcode maps; the formatter prints them reversed, AT&T style):
 *   "name Op1,Op2,..."   one instruction; "" is an invalid opcode ((bad) in objdump)
 *   "a|b|c|d"            chosen by the mandatory prefix: none | f3 | 66 | f2 (the order objdump's prefix tables use)
 *   "#grp"               chosen by ModRM.reg from GROUPS[grp] (8 entries; an entry may again be "m;r" split)
 *   "mem;reg"            chosen by ModRM.mod: memory form ; register form (a register form "=x0 x1 .. x7" picks by ModRM.rm)
 *   "@name"              MMX / SSE2 pair: none -> "name P,Q", 66 -> "name V,H,W"
 *   name "a/b"           a without W, b with REX.W / VEX.W
 *   name suffix "~"      append the AT&T size suffix when no register operand shows the size
 *   leading "!"          VEX only (the name already has its v); leading "^": legacy only (no VEX form)
 * Operands: E G (r/m and reg; b w d q v y sizes, y = d or q by W), I (b w z, s = sign-extended byte), J (b z),
 *   Z (register in the opcode), O (moffs), M (memory only), V W H U (xmm/ymm reg, r/m, VEX.vvvv, r/m register;
 *   suffix 4 = always xmm, 8 = always ymm), P Q N (mmx reg, r/m, r/m register), L (xmm/ymm in imm8[7:4]),
 *   S (segment register), C D (control/debug register), X0 (%xmm0), fixed registers AL CL DX rAX eAX AX, 1 (shift count).
 */

export const ONE_BYTE: readonly string[] = [
  // 00
  'add Eb,Gb', 'add Ev,Gv', 'add Gb,Eb', 'add Gv,Ev', 'add AL,Ib', 'add rAX,Iz', '', '',
  'or Eb,Gb', 'or Ev,Gv', 'or Gb,Eb', 'or Gv,Ev', 'or AL,Ib', 'or rAX,Iz', '', '',
  // 10
  'adc Eb,Gb', 'adc Ev,Gv', 'adc Gb,Eb', 'adc Gv,Ev', 'adc AL,Ib', 'adc rAX,Iz', '', '',
  'sbb Eb,Gb', 'sbb Ev,Gv', 'sbb Gb,Eb', 'sbb Gv,Ev', 'sbb AL,Ib', 'sbb rAX,Iz', '', '',
  // 20
  'and Eb,Gb', 'and Ev,Gv', 'and Gb,Eb', 'and Gv,Ev', 'and AL,Ib', 'and rAX,Iz', '', '',
  'sub Eb,Gb', 'sub Ev,Gv', 'sub Gb,Eb', 'sub Gv,Ev', 'sub AL,Ib', 'sub rAX,Iz', '', '',
  // 30
  'xor Eb,Gb', 'xor Ev,Gv', 'xor Gb,Eb', 'xor Gv,Ev', 'xor AL,Ib', 'xor rAX,Iz', '', '',
  'cmp Eb,Gb', 'cmp Ev,Gv', 'cmp Gb,Eb', 'cmp Gv,Ev', 'cmp AL,Ib', 'cmp rAX,Iz', '', '',
  // 40 (REX)
  '', '', '', '', '', '', '', '', '', '', '', '', '', '', '', '',
  // 50
  'push Zq', 'push Zq', 'push Zq', 'push Zq', 'push Zq', 'push Zq', 'push Zq', 'push Zq',
  'pop Zq', 'pop Zq', 'pop Zq', 'pop Zq', 'pop Zq', 'pop Zq', 'pop Zq', 'pop Zq',
  // 60
  '', '', '', 'movsxd Gv,Ed', '', '', '', '',
  'push Iz', 'imul Gv,Ev,Iz', 'push Is', 'imul Gv,Ev,Is', 'insb Yb,DX', 'ins Yz,DX', 'outsb DX,Xb', 'outs DX,Xz',
  // 70
  'jo Jb', 'jno Jb', 'jb Jb', 'jae Jb', 'je Jb', 'jne Jb', 'jbe Jb', 'ja Jb',
  'js Jb', 'jns Jb', 'jp Jb', 'jnp Jb', 'jl Jb', 'jge Jb', 'jle Jb', 'jg Jb',
  // 80
  '#1b', '#1v', '', '#1s', 'test Eb,Gb', 'test Ev,Gv', 'xchg Eb,Gb', 'xchg Ev,Gv',
  'mov Eb,Gb', 'mov Ev,Gv', 'mov Gb,Eb', 'mov Gv,Ev', 'mov Ev,S', 'lea Gv,M', 'mov S,Ew', '#1a',
  // 90
  'xchg Zv,rAX', 'xchg Zv,rAX', 'xchg Zv,rAX', 'xchg Zv,rAX', 'xchg Zv,rAX', 'xchg Zv,rAX', 'xchg Zv,rAX', 'xchg Zv,rAX',
  'cwtl', 'cltd', '', 'fwait', 'pushf', 'popf', 'sahf', 'lahf',
  // a0
  'movabs AL,Ob', 'movabs rAX,Ov', 'movabs Ob,AL', 'movabs Ov,rAX', 'movsb Yb,Xb', 'movs Yv,Xv', 'cmpsb Xb,Yb', 'cmps Xv,Yv',
  'test AL,Ib', 'test rAX,Iz', 'stos Yb,AL', 'stos Yv,rAX', 'lods AL,Xb', 'lods rAX,Xv', 'scas AL,Yb', 'scas rAX,Yv',
  // b0
  'mov Zb,Ib', 'mov Zb,Ib', 'mov Zb,Ib', 'mov Zb,Ib', 'mov Zb,Ib', 'mov Zb,Ib', 'mov Zb,Ib', 'mov Zb,Ib',
  'mov Zv,Iv', 'mov Zv,Iv', 'mov Zv,Iv', 'mov Zv,Iv', 'mov Zv,Iv', 'mov Zv,Iv', 'mov Zv,Iv', 'mov Zv,Iv',
  // c0
  '#2b', '#2v', 'ret Iw', 'ret', '', '', '#11b', '#11v',
  'enter Iw,Ib', 'leave', 'lret Iw', 'lret', 'int3', 'int Ib', '', 'iret',
  // d0
  '#2b1', '#2v1', '#2bc', '#2vc', '', '', '', 'xlat Xbx',
  '', '', '', '', '', '', '', '', // x87: FPU tables
  // e0
  'loopne Jb', 'loope Jb', 'loop Jb', 'jrcxz Jb', 'in AL,Ib', 'in eAX,Ib', 'out Ib,AL', 'out Ib,eAX',
  'call Jz', 'jmp Jz', '', 'jmp Jb', 'in AL,DX', 'in eAX,DX', 'out DX,AL', 'out DX,eAX',
  // f0
  '', 'int1', '', '', 'hlt', 'cmc', '#3b', '#3v',
  'clc', 'stc', 'cli', 'sti', 'cld', 'std', '#4', '#5',
];

export const GROUPS: Record<string, readonly string[]> = {
  '1b': ['add~ Eb,Ib', 'or~ Eb,Ib', 'adc~ Eb,Ib', 'sbb~ Eb,Ib', 'and~ Eb,Ib', 'sub~ Eb,Ib', 'xor~ Eb,Ib', 'cmp~ Eb,Ib'],
  '1v': ['add~ Ev,Iz', 'or~ Ev,Iz', 'adc~ Ev,Iz', 'sbb~ Ev,Iz', 'and~ Ev,Iz', 'sub~ Ev,Iz', 'xor~ Ev,Iz', 'cmp~ Ev,Iz'],
  '1s': ['add~ Ev,Is', 'or~ Ev,Is', 'adc~ Ev,Is', 'sbb~ Ev,Is', 'and~ Ev,Is', 'sub~ Ev,Is', 'xor~ Ev,Is', 'cmp~ Ev,Is'],
  '1a': ['pop~ Eq', '', '', '', '', '', '', ''],
  '2b': ['rol~ Eb,Ib', 'ror~ Eb,Ib', 'rcl~ Eb,Ib', 'rcr~ Eb,Ib', 'shl~ Eb,Ib', 'shr~ Eb,Ib', 'shl~ Eb,Ib', 'sar~ Eb,Ib'],
  '2v': ['rol~ Ev,Ib', 'ror~ Ev,Ib', 'rcl~ Ev,Ib', 'rcr~ Ev,Ib', 'shl~ Ev,Ib', 'shr~ Ev,Ib', 'shl~ Ev,Ib', 'sar~ Ev,Ib'],
  '2b1': ['rol~ Eb', 'ror~ Eb', 'rcl~ Eb', 'rcr~ Eb', 'shl~ Eb', 'shr~ Eb', 'shl~ Eb', 'sar~ Eb'],
  '2v1': ['rol~ Ev', 'ror~ Ev', 'rcl~ Ev', 'rcr~ Ev', 'shl~ Ev', 'shr~ Ev', 'shl~ Ev', 'sar~ Ev'],
  '2bc': ['rol~ Eb,CL', 'ror~ Eb,CL', 'rcl~ Eb,CL', 'rcr~ Eb,CL', 'shl~ Eb,CL', 'shr~ Eb,CL', 'shl~ Eb,CL', 'sar~ Eb,CL'],
  '2vc': ['rol~ Ev,CL', 'ror~ Ev,CL', 'rcl~ Ev,CL', 'rcr~ Ev,CL', 'shl~ Ev,CL', 'shr~ Ev,CL', 'shl~ Ev,CL', 'sar~ Ev,CL'],
  '3b': ['test~ Eb,Ib', 'test~ Eb,Ib', 'not~ Eb', 'neg~ Eb', 'mul~ Eb', 'imul~ Eb', 'div~ Eb', 'idiv~ Eb'],
  '3v': ['test~ Ev,Iz', 'test~ Ev,Iz', 'not~ Ev', 'neg~ Ev', 'mul~ Ev', 'imul~ Ev', 'div~ Ev', 'idiv~ Ev'],
  '4': ['inc~ Eb', 'dec~ Eb', '', '', '', '', '', ''],
  '5': ['inc~ Ev', 'dec~ Ev', 'call *Eq', 'lcall *M', 'jmp *Eq', 'ljmp *M', 'push~ Eq', ''],
  '11b': ['mov~ Eb,Ib', '', '', '', '', '', '', ';=xabort_Ib _ _ _ _ _ _ _'],
  '11v': ['mov~ Ev,Iz', '', '', '', '', '', '', ';=xbegin_Jz _ _ _ _ _ _ _'],
  // 0f 00, 0f 01
  '6': ['sldt Ev', 'str Ev', 'lldt Ew', 'ltr Ew', 'verr Ew', 'verw Ew', '', ''],
  '7': ['sgdt M;=enclv vmcall vmlaunch vmresume vmxoff pconfig wrmsrns _',
    'sidt M;=monitor_%edx,%ecx,%rax mwait_%ecx,%eax clac stac _ _ _ encls',
    'lgdt M;=xgetbv xsetbv _ _ vmfunc xend xtest enclu',
    'lidt M;=vmrun vmmcall vmload vmsave stgi clgi skinit invlpga',
    'smsw Ev', ';=serialize _ _ _ _ _ rdpkru wrpkru|rstorssp M;|;|;',
    'lmsw Ew', 'invlpg M;=swapgs rdtscp monitorx mwaitx clzero rdpru _ _'],
  // 0f 18 hint nops with prefetch in the memory forms
  '16': ['prefetchnta M;nop~ Ev', 'prefetcht0 M;nop~ Ev', 'prefetcht1 M;nop~ Ev', 'prefetcht2 M;nop~ Ev', 'nop~ Ev', 'nop~ Ev', 'nop~ Ev', 'nop~ Ev'],
  // 0f 71..73: MMX / SSE2 shifts by immediate
  '12': ['', '', '^psrlw N,Ib||psrlw H,U,Ib|', '', '^psraw N,Ib||psraw H,U,Ib|', '', '^psllw N,Ib||psllw H,U,Ib|', ''],
  '13': ['', '', '^psrld N,Ib||psrld H,U,Ib|', '', '^psrad N,Ib||psrad H,U,Ib|', '', '^pslld N,Ib||pslld H,U,Ib|', ''],
  '14': ['', '', '^psrlq N,Ib||psrlq H,U,Ib|', '||psrldq H,U,Ib|', '', '', '^psllq N,Ib||psllq H,U,Ib|', '||pslldq H,U,Ib|'],
  // 0f ae
  '15': ['fxsave M;|fxsave M;rdfsbase Ey|fxsave M;|fxsave M;', 'fxrstor M;|fxrstor M;rdgsbase Ey|fxrstor M;|fxrstor M;',
    'ldmxcsr Md;|ldmxcsr Md;wrfsbase Ey|ldmxcsr Md;|ldmxcsr Md;', 'stmxcsr Md;|stmxcsr Md;wrgsbase Ey|stmxcsr Md;|stmxcsr Md;',
    'xsave M;|ptwrite Ey|xsave M;|xsave M;', 'xrstor M;lfence|incsspd/incsspq Ey;incsspd/incsspq Ey|xrstor M;lfence|xrstor M;lfence',
    'xsaveopt M;=mfence _ _ _ _ _ _ _|clrssbsy M;umonitor Ev|clwb M;tpause Ed|xsaveopt M;umwait Ed', 'clflush M;=sfence _ _ _ _ _ _ _|clflush M;=sfence _ _ _ _ _ _ _|clflushopt M;pcommit|clflush M;=sfence _ _ _ _ _ _ _'],
  // 0f ba
  '8': ['', '', '', '', 'bt~ Ev,Ib', 'bts~ Ev,Ib', 'btr~ Ev,Ib', 'btc~ Ev,Ib'],
  // 0f c7
  '9': ['', 'cmpxchg8b/cmpxchg16b M', '', 'xrstors/xrstors64 M;', 'xsavec/xsavec64 M;', 'xsaves/xsaves64 M;',
    'vmptrld Mq;rdrand Ev|vmxon Mq;rdrand Ev|vmclear Mq;rdrand Ev|vmptrld Mq;rdrand Ev', 'vmptrst Mq;rdseed Ev|vmptrst Mq;rdpid Eq|vmptrst Mq;rdseed Ev|vmptrst Mq;rdseed Ev'],
  // 0f b9
  '10': ['ud1 Gv,Ev', 'ud1 Gv,Ev', 'ud1 Gv,Ev', 'ud1 Gv,Ev', 'ud1 Gv,Ev', 'ud1 Gv,Ev', 'ud1 Gv,Ev', 'ud1 Gv,Ev'],
  // 0f 0d
  'p': ['prefetch M;nop~ Ev', 'prefetchw M;nop~ Ev', 'prefetchwt1 M;nop~ Ev', 'prefetch M;nop~ Ev', 'prefetch M;nop~ Ev', 'prefetch M;nop~ Ev', 'prefetch M;nop~ Ev', 'prefetch M;nop~ Ev'],
  // f3 0f 1e with a register operand
  '1e': ['nop~ Ev', 'rdsspd/rdsspq Ey', 'nop~ Ev', 'nop~ Ev', 'nop~ Ev', 'nop~ Ev', 'nop~ Ev', '=nop~_Ev nop~_Ev endbr64 endbr32 nop~_Ev nop~_Ev nop~_Ev nop~_Ev'],
  // VEX 0f38 f3 (BMI1)
  '17': ['', '!blsr By,Ey', '!blsmsk By,Ey', '!blsi By,Ey', '', '', '', ''],
  // VEX 0f ae
  'vae': ['', '', '!vldmxcsr Md;', '!vstmxcsr Md;', '', '', '', ''],
};

/** Two-byte map (0f xx). */
export const TWO_BYTE: readonly string[] = [
  // 00
  '#6', '#7', 'lar Gv,Ew', 'lsl Gv,Ew', '', 'syscall', 'clts', 'sysretl/sysretq',
  'invd', 'wbinvd', '', 'ud2', '', '#p', 'femms', '',
  // 10
  'movups V,W|movss V4,M;movss V4,H4,U4|movupd V,W|movsd V4,M;movsd V4,H4,U4', 'movups W,V|movss M,V4;movss U4,H4,V4|movupd W,V|movsd M,V4;movsd U4,H4,V4',
  'movlps V,H,M;movhlps V,H,U|movsldup V,W|movlpd V,H,M;|movddup V,W', 'movlps M,V;||movlpd M,V;|',
  'unpcklps V,H,W||unpcklpd V,H,W|', 'unpckhps V,H,W||unpckhpd V,H,W|',
  'movhps V,H,M;movlhps V,H,U|movshdup V,W|movhpd V,H,M;|', 'movhps M,V;||movhpd M,V;|',
  '#16', 'nop~ Ev', 'bndldx Bm,M;nop~ Ev|bndcl B,Ey|bndmov B,Bw|bndcu B,Ey', 'bndstx M,B;nop~ Ev|bndmk B,M;nop~ Ev|bndmov Bw,B|bndcn B,Ey',
  'nop~ Ev', 'nop~ Ev', 'nop~ Ev|nop~ Ev;#1e|nop~ Ev|nop~ Ev', 'nop~ Ev',
  // 20
  'mov Rq,C', 'mov Rq,D', 'mov C,Rq', 'mov D,Rq', '', '', '', '',
  'movaps V,W||movapd V,W|', 'movaps W,V||movapd W,V|',
  '^cvtpi2ps V,Q|cvtsi2ss% V,H,Ey|^cvtpi2pd V,Q|cvtsi2sd% V,H,Ey', 'movntps M,V;|movntss M,V4;|movntpd M,V;|movntsd M,V4;',
  '^cvttps2pi P,W4|cvttss2si Gy,W4|^cvttpd2pi P,W|cvttsd2si Gy,W4', '^cvtps2pi P,W4|cvtss2si Gy,W4|^cvtpd2pi P,W|cvtsd2si Gy,W4',
  'ucomiss V4,W4||ucomisd V4,W4|', 'comiss V4,W4||comisd V4,W4|',
  // 30
  'wrmsr', 'rdtsc', 'rdmsr', 'rdpmc', 'sysenter', 'sysexit', '', 'getsec',
  '', '', '', '', '', '', '', '',
  // 40
  'cmovo Gv,Ev', 'cmovno Gv,Ev', 'cmovb Gv,Ev', 'cmovae Gv,Ev', 'cmove Gv,Ev', 'cmovne Gv,Ev', 'cmovbe Gv,Ev', 'cmova Gv,Ev',
  'cmovs Gv,Ev', 'cmovns Gv,Ev', 'cmovp Gv,Ev', 'cmovnp Gv,Ev', 'cmovl Gv,Ev', 'cmovge Gv,Ev', 'cmovle Gv,Ev', 'cmovg Gv,Ev',
  // 50
  'movmskps Gd,U||movmskpd Gd,U|', 'sqrtps V,W|sqrtss V,H,W4|sqrtpd V,W|sqrtsd V,H,W4',
  'rsqrtps V,W|rsqrtss V,H,W4||', 'rcpps V,W|rcpss V,H,W4||',
  'andps V,H,W||andpd V,H,W|', 'andnps V,H,W||andnpd V,H,W|', 'orps V,H,W||orpd V,H,W|', 'xorps V,H,W||xorpd V,H,W|',
  'addps V,H,W|addss V,H,W4|addpd V,H,W|addsd V,H,W4', 'mulps V,H,W|mulss V,H,W4|mulpd V,H,W|mulsd V,H,W4',
  'cvtps2pd V,Wh|cvtss2sd V,H,W4|cvtpd2ps% V4,W|cvtsd2ss V,H,W4', 'cvtdq2ps V,W|cvttps2dq V,W|cvtps2dq V,W|',
  'subps V,H,W|subss V,H,W4|subpd V,H,W|subsd V,H,W4', 'minps V,H,W|minss V,H,W4|minpd V,H,W|minsd V,H,W4',
  'divps V,H,W|divss V,H,W4|divpd V,H,W|divsd V,H,W4', 'maxps V,H,W|maxss V,H,W4|maxpd V,H,W|maxsd V,H,W4',
  // 60
  '@punpcklbw', '@punpcklwd', '@punpckldq', '@packsswb', '@pcmpgtb', '@pcmpgtw', '@pcmpgtd', '@packuswb',
  '@punpckhbw', '@punpckhwd', '@punpckhdq', '@packssdw', '||punpcklqdq V,H,W|', '||punpckhqdq V,H,W|',
  '^movd/movq P,Ey||movd/movq V4,Ey|', '^movq P,Q|movdqu V,W|movdqa V,W|',
  // 70
  '^pshufw P,Q,Ib|pshufhw V,W,Ib|pshufd V,W,Ib|pshuflw V,W,Ib', '#12', '#13', '#14',
  '@pcmpeqb', '@pcmpeqw', '@pcmpeqd', '^emms||',
  '^vmread Eq,Gq||^extrq U,Ib,Ib|^insertq V,U,Ib,Ib', '^vmwrite Gq,Eq||^extrq V,U|^insertq V,U', '', '',
  '||haddpd V,H,W|haddps V,H,W', '||hsubpd V,H,W|hsubps V,H,W',
  '^movd/movq Ey,P|movq V4,W4|movd/movq Ey,V4|', '^movq Q,P|movdqu W,V|movdqa W,V|',
  // 80
  'jo Jz', 'jno Jz', 'jb Jz', 'jae Jz', 'je Jz', 'jne Jz', 'jbe Jz', 'ja Jz',
  'js Jz', 'jns Jz', 'jp Jz', 'jnp Jz', 'jl Jz', 'jge Jz', 'jle Jz', 'jg Jz',
  // 90
  'seto Eb', 'setno Eb', 'setb Eb', 'setae Eb', 'sete Eb', 'setne Eb', 'setbe Eb', 'seta Eb',
  'sets Eb', 'setns Eb', 'setp Eb', 'setnp Eb', 'setl Eb', 'setge Eb', 'setle Eb', 'setg Eb',
  // a0
  'push FS', 'pop FS', 'cpuid', 'bt Ev,Gv', 'shld Ev,Gv,Ib', 'shld Ev,Gv,CL', '', '',
  'push GS', 'pop GS', 'rsm', 'bts Ev,Gv', 'shrd Ev,Gv,Ib', 'shrd Ev,Gv,CL', '#15', 'imul Gv,Ev',
  // b0
  'cmpxchg Eb,Gb', 'cmpxchg Ev,Gv', 'lss Gv,M;', 'btr Ev,Gv', 'lfs Gv,M;', 'lgs Gv,M;', 'movzb Gv,Eb', 'movzw Gv,Ew',
  '|popcnt Gv,Ev||', '#10', '#8', 'btc Ev,Gv', 'bsf Gv,Ev|tzcnt Gv,Ev|bsf Gv,Ev|', 'bsr Gv,Ev|lzcnt Gv,Ev|bsr Gv,Ev|', 'movsb Gv,Eb', 'movsw Gv,Ew',
  // c0
  'xadd Eb,Gb', 'xadd Ev,Gv', 'cmpps V,H,W,Ib|cmpss V,H,W4,Ib|cmppd V,H,W,Ib|cmpsd V,H,W4,Ib', '^movnti M,Gy|||',
  '^pinsrw P,Ed,Ib||pinsrw V4,H4,Ed,Ib|', '^pextrw Gd,N,Ib||pextrw Gd,U4,Ib|', 'shufps V,H,W,Ib||shufpd V,H,W,Ib|', '#9',
  'bswap Zy', 'bswap Zy', 'bswap Zy', 'bswap Zy', 'bswap Zy', 'bswap Zy', 'bswap Zy', 'bswap Zy',
  // d0
  '||addsubpd V,H,W|addsubps V,H,W', '@psrlw4', '@psrld4', '@psrlq4', '@paddq', '@pmullw', '|^movq2dq V,N|movq W4,V4|^movdq2q P,U', '^pmovmskb Gd,N||pmovmskb Gd,U|',
  '@psubusb', '@psubusw', '@pminub', '@pand', '@paddusb', '@paddusw', '@pmaxub', '@pandn',
  // e0
  '@pavgb', '@psraw4', '@psrad4', '@pavgw', '@pmulhuw', '@pmulhw', '|cvtdq2pd V,Wh|cvttpd2dq% V4,W|cvtpd2dq% V4,W', '^movntq M,P;||movntdq M,V;|',
  '@psubsb', '@psubsw', '@pminsw', '@por', '@paddsb', '@paddsw', '@pmaxsw', '@pxor',
  // f0
  '|||lddqu V,M;', '@psllw4', '@pslld4', '@psllq4', '@pmuludq', '@pmaddwd', '@psadbw', '^maskmovq P,N||maskmovdqu V4,U4|',
  '@psubb', '@psubw', '@psubd', '@psubq', '@paddb', '@paddw', '@paddd', 'ud0 Gv,Ev',
];

/** 0f 38 map; an entry without "|" is the 66-prefixed form. */
export const MAP_0F38: Record<number, string> = {
  0x00: '@pshufb', 0x01: '@phaddw', 0x02: '@phaddd', 0x03: '@phaddsw', 0x04: '@pmaddubsw', 0x05: '@phsubw', 0x06: '@phsubd',
  0x07: '@phsubsw', 0x08: '@psignb', 0x09: '@psignw', 0x0a: '@psignd', 0x0b: '@pmulhrsw',
  0x0c: '!vpermilps V,H,W', 0x0d: '!vpermilpd V,H,W', 0x0e: '!vtestps V,W', 0x0f: '!vtestpd V,W',
  0x10: '^pblendvb V,W,X0', 0x13: '!vcvtph2ps V,Wh', 0x14: '^blendvps V,W,X0', 0x15: '^blendvpd V,W,X0', 0x16: '!vpermps V,H,W',
  0x17: 'ptest V,W', 0x18: '!vbroadcastss V,W4', 0x19: '!vbroadcastsd V,W4', 0x1a: '!vbroadcastf128 V,M',
  0x1c: '^pabsb P,Q||pabsb V,W|', 0x1d: '^pabsw P,Q||pabsw V,W|', 0x1e: '^pabsd P,Q||pabsd V,W|',
  0x20: 'pmovsxbw V,Wh', 0x21: 'pmovsxbd V,Wq', 0x22: 'pmovsxbq V,Wo', 0x23: 'pmovsxwd V,Wh', 0x24: 'pmovsxwq V,Wq', 0x25: 'pmovsxdq V,Wh',
  0x28: 'pmuldq V,H,W', 0x29: 'pcmpeqq V,H,W', 0x2a: 'movntdqa V,M', 0x2b: 'packusdw V,H,W',
  0x2c: '!vmaskmovps V,H,M', 0x2d: '!vmaskmovpd V,H,M', 0x2e: '!vmaskmovps M,H,V', 0x2f: '!vmaskmovpd M,H,V',
  0x30: 'pmovzxbw V,Wh', 0x31: 'pmovzxbd V,Wq', 0x32: 'pmovzxbq V,Wo', 0x33: 'pmovzxwd V,Wh', 0x34: 'pmovzxwq V,Wq', 0x35: 'pmovzxdq V,Wh',
  0x36: '!vpermd V,H,W', 0x37: 'pcmpgtq V,H,W', 0x38: 'pminsb V,H,W', 0x39: 'pminsd V,H,W', 0x3a: 'pminuw V,H,W', 0x3b: 'pminud V,H,W',
  0x3c: 'pmaxsb V,H,W', 0x3d: 'pmaxsd V,H,W', 0x3e: 'pmaxuw V,H,W', 0x3f: 'pmaxud V,H,W',
  0x40: 'pmulld V,H,W', 0x41: 'phminposuw V4,W4',
  0x45: '!vpsrlvd/vpsrlvq V,H,W', 0x46: '!vpsravd V,H,W', 0x47: '!vpsllvd/vpsllvq V,H,W',
  0x58: '!vpbroadcastd V,W4', 0x59: '!vpbroadcastq V,W4', 0x5a: '!vbroadcasti128 V,M',
  0x78: '!vpbroadcastb V,W4', 0x79: '!vpbroadcastw V,W4',
  0x80: '^invept Gq,M', 0x81: '^invvpid Gq,M', 0x82: '^invpcid Gq,M',
  0x8c: '!vpmaskmovd/vpmaskmovq V,H,M', 0x8e: '!vpmaskmovd/vpmaskmovq M,H,V',
  0x90: '!vpgatherdd/vpgatherdq V,Mx,H', 0x91: '!vpgatherqd/vpgatherqq V,Mx,H', 0x92: '!vgatherdps/vgatherdpd V,Mx,H', 0x93: '!vgatherqps/vgatherqpd V,Mx,H',
  0x96: '!vfmaddsub132ps/vfmaddsub132pd V,H,W', 0x97: '!vfmsubadd132ps/vfmsubadd132pd V,H,W',
  0x98: '!vfmadd132ps/vfmadd132pd V,H,W', 0x99: '!vfmadd132ss/vfmadd132sd V4,H4,W4',
  0x9a: '!vfmsub132ps/vfmsub132pd V,H,W', 0x9b: '!vfmsub132ss/vfmsub132sd V4,H4,W4',
  0x9c: '!vfnmadd132ps/vfnmadd132pd V,H,W', 0x9d: '!vfnmadd132ss/vfnmadd132sd V4,H4,W4',
  0x9e: '!vfnmsub132ps/vfnmsub132pd V,H,W', 0x9f: '!vfnmsub132ss/vfnmsub132sd V4,H4,W4',
  0xa6: '!vfmaddsub213ps/vfmaddsub213pd V,H,W', 0xa7: '!vfmsubadd213ps/vfmsubadd213pd V,H,W',
  0xa8: '!vfmadd213ps/vfmadd213pd V,H,W', 0xa9: '!vfmadd213ss/vfmadd213sd V4,H4,W4',
  0xaa: '!vfmsub213ps/vfmsub213pd V,H,W', 0xab: '!vfmsub213ss/vfmsub213sd V4,H4,W4',
  0xac: '!vfnmadd213ps/vfnmadd213pd V,H,W', 0xad: '!vfnmadd213ss/vfnmadd213sd V4,H4,W4',
  0xae: '!vfnmsub213ps/vfnmsub213pd V,H,W', 0xaf: '!vfnmsub213ss/vfnmsub213sd V4,H4,W4',
  0xb6: '!vfmaddsub231ps/vfmaddsub231pd V,H,W', 0xb7: '!vfmsubadd231ps/vfmsubadd231pd V,H,W',
  0xb8: '!vfmadd231ps/vfmadd231pd V,H,W', 0xb9: '!vfmadd231ss/vfmadd231sd V4,H4,W4',
  0xba: '!vfmsub231ps/vfmsub231pd V,H,W', 0xbb: '!vfmsub231ss/vfmsub231sd V4,H4,W4',
  0xbc: '!vfnmadd231ps/vfnmadd231pd V,H,W', 0xbd: '!vfnmadd231ss/vfnmadd231sd V4,H4,W4',
  0xbe: '!vfnmsub231ps/vfnmsub231pd V,H,W', 0xbf: '!vfnmsub231ss/vfnmsub231sd V4,H4,W4',
  0xc8: '^sha1nexte V,W|||', 0xc9: '^sha1msg1 V,W|||', 0xca: '^sha1msg2 V,W|||', 0xcb: '^sha256rnds2 V,W,X0|||',
  0xcc: '^sha256msg1 V,W|||', 0xcd: '^sha256msg2 V,W|||', 0xcf: 'gf2p8mulb V,H,W',
  0xdb: 'aesimc V4,W4', 0xdc: 'aesenc V,H,W', 0xdd: 'aesenclast V,H,W', 0xde: 'aesdec V,H,W', 0xdf: 'aesdeclast V,H,W',
  0xf0: '^movbe Gv,M;||^movbe Gv,M;|^crc32b Gd,Eb', 0xf1: '^movbe M,Gv;||^movbe M,Gv;|^crc32 Gd,Ev',
  0xf8: '|enqcmds Gq,M;|movdir64b Gq,M;|enqcmd Gq,M;', 0xf9: '^movdiri M,Gy;|||',
  0xf2: '!andn Gy,By,Ey|||', 0xf3: '#17|||',
  0xf5: '!bzhi Gy,Ey,By|!pext Gy,By,Ey||!pdep Gy,By,Ey', 0xf6: '|^adox Gy,Ey|^adcx Gy,Ey|!mulx Gy,By,Ey',
  0xf7: '!bextr Gy,Ey,By|!sarx Gy,Ey,By|!shlx Gy,Ey,By|!shrx Gy,Ey,By',
};

/** 0f 3a map (every entry takes an imm8); an entry without "|" is the 66-prefixed form. */
export const MAP_0F3A: Record<number, string> = {
  0x00: '!vpermq V,W,Ib', 0x01: '!vpermpd V,W,Ib', 0x02: '!vpblendd V,H,W,Ib', 0x04: '!vpermilps V,W,Ib', 0x05: '!vpermilpd V,W,Ib',
  0x06: '!vperm2f128 V,H,W,Ib', 0x08: 'roundps V,W,Ib', 0x09: 'roundpd V,W,Ib', 0x0a: 'roundss V4,H4,W4,Ib', 0x0b: 'roundsd V4,H4,W4,Ib',
  0x0c: 'blendps V,H,W,Ib', 0x0d: 'blendpd V,H,W,Ib', 0x0e: 'pblendw V,H,W,Ib', 0x0f: '^palignr P,Q,Ib||palignr V,H,W,Ib|',
  0x14: 'pextrb Ebd,V4,Ib', 0x15: 'pextrw Ewd,V4,Ib', 0x16: 'pextrd/pextrq Ey,V4,Ib', 0x17: 'extractps Ed,V4,Ib',
  0x18: '!vinsertf128 V,H,W4,Ib', 0x19: '!vextractf128 W4,V,Ib', 0x1d: '!vcvtps2ph Wh,V,Ib',
  0x20: 'pinsrb V4,H4,Ebd,Ib', 0x21: 'insertps V4,H4,W4,Ib', 0x22: 'pinsrd/pinsrq V4,H4,Ey,Ib',
  0x38: '!vinserti128 V,H,W4,Ib', 0x39: '!vextracti128 W4,V,Ib',
  0x40: 'dpps V,H,W,Ib', 0x41: 'dppd V4,H4,W4,Ib', 0x42: 'mpsadbw V,H,W,Ib', 0x44: 'pclmulqdq V,H,W,Ib', 0x46: '!vperm2i128 V,H,W,Ib',
  0x4a: '!vblendvps V,H,W,L', 0x4b: '!vblendvpd V,H,W,L', 0x4c: '!vpblendvb V,H,W,L',
  0x60: 'pcmpestrm V4,W4,Ib', 0x61: 'pcmpestri V4,W4,Ib', 0x62: 'pcmpistrm V4,W4,Ib', 0x63: 'pcmpistri V4,W4,Ib',
  0xcc: '^sha1rnds4 V,W,Ib|||', 0xce: 'gf2p8affineqb V,H,W,Ib', 0xcf: 'gf2p8affineinvqb V,H,W,Ib', 0xdf: 'aeskeygenassist V4,W4,Ib',
  0xf0: '|||!rorx Gy,Ey,Ib',
};

/** 3DNow! instructions (0f 0f modrm imm8), by the imm8 suffix. */
export const AMD3DNOW: Record<number, string> = {
  0x0c: 'pi2fw', 0x0d: 'pi2fd', 0x1c: 'pf2iw', 0x1d: 'pf2id', 0x8a: 'pfnacc', 0x8e: 'pfpnacc', 0x90: 'pfcmpge', 0x94: 'pfmin',
  0x96: 'pfrcp', 0x97: 'pfrsqrt', 0x9a: 'pfsub', 0x9e: 'pfadd', 0xa0: 'pfcmpgt', 0xa4: 'pfmax', 0xa6: 'pfrcpit1', 0xa7: 'pfrsqit1',
  0xaa: 'pfsubr', 0xae: 'pfacc', 0xb0: 'pfcmpeq', 0xb4: 'pfmul', 0xb6: 'pfrcpit2', 0xb7: 'pmulhrw', 0xbb: 'pswapd', 0xbf: 'pavgusb',
};

/** x87 memory forms, by opcode d8..df and ModRM.reg. */
export const X87_MEM: readonly (readonly string[])[] = [
  ['fadds', 'fmuls', 'fcoms', 'fcomps', 'fsubs', 'fsubrs', 'fdivs', 'fdivrs'],
  ['flds', '', 'fsts', 'fstps', 'fldenv', 'fldcw', 'fnstenv', 'fnstcw'],
  ['fiaddl', 'fimull', 'ficoml', 'ficompl', 'fisubl', 'fisubrl', 'fidivl', 'fidivrl'],
  ['fildl', 'fisttpl', 'fistl', 'fistpl', '', 'fldt', '', 'fstpt'],
  ['faddl', 'fmull', 'fcoml', 'fcompl', 'fsubl', 'fsubrl', 'fdivl', 'fdivrl'],
  ['fldl', 'fisttpll', 'fstl', 'fstpl', 'frstor', '', 'fnsave', 'fnstsw'],
  ['fiadds', 'fimuls', 'ficoms', 'ficomps', 'fisubs', 'fisubrs', 'fidivs', 'fidivrs'],
  ['filds', 'fisttps', 'fists', 'fistps', 'fbld', 'fildll', 'fbstp', 'fistpll'],
];

/**
 * x87 register forms, by opcode d8..df and ModRM.reg: "name A" with A = "i,0" (%st(i),%st), "0,i" (%st,%st(i)),
 * "i" (%st(i)), or "=n0 .. n7" naming each ModRM.rm ("_" invalid).
 */
export const X87_REG: readonly (readonly string[])[] = [
  ['fadd i,0', 'fmul i,0', 'fcom i', 'fcomp i', 'fsub i,0', 'fsubr i,0', 'fdiv i,0', 'fdivr i,0'],
  ['fld i', 'fxch i', '=fnop _ _ _ _ _ _ _', '', '=fchs fabs _ _ ftst fxam _ _',
    '=fld1 fldl2t fldl2e fldpi fldlg2 fldln2 fldz _', '=f2xm1 fyl2x fptan fpatan fxtract fprem1 fdecstp fincstp',
    '=fprem fyl2xp1 fsqrt fsincos frndint fscale fsin fcos'],
  ['fcmovb i,0', 'fcmove i,0', 'fcmovbe i,0', 'fcmovu i,0', '', '=_ fucompp _ _ _ _ _ _', '', ''],
  ['fcmovnb i,0', 'fcmovne i,0', 'fcmovnbe i,0', 'fcmovnu i,0', '=fneni(8087_only) fndisi(8087_only) fnclex fninit fnsetpm(287_only) _ _ _',
    'fucomi i,0', 'fcomi i,0', ''],
  ['fadd 0,i', 'fmul 0,i', '', '', 'fsub 0,i', 'fsubr 0,i', 'fdiv 0,i', 'fdivr 0,i'],
  ['ffree i', '', 'fst i', 'fstp i', 'fucom i', 'fucomp i', '', ''],
  ['faddp 0,i', 'fmulp 0,i', '', '=_ fcompp _ _ _ _ _ _', 'fsubp 0,i', 'fsubrp 0,i', 'fdivp 0,i', 'fdivrp 0,i'],
  ['ffreep i', '', '', '', '=fnstsw_AX _ _ _ _ _ _ _', 'fucomip i,0', 'fcomip i,0', ''],
];

/** The predicates of cmpps & co. (imm8 < 8 for SSE, < 32 for AVX), as objdump names them. */
export const CMP_PRED: readonly string[] = [
  'eq', 'lt', 'le', 'unord', 'neq', 'nlt', 'nle', 'ord', 'eq_uq', 'nge', 'ngt', 'false', 'neq_oq', 'ge', 'gt', 'true',
  'eq_os', 'lt_oq', 'le_oq', 'unord_s', 'neq_us', 'nlt_uq', 'nle_uq', 'ord_s', 'eq_us', 'nge_uq', 'ngt_uq', 'false_os',
  'neq_os', 'ge_oq', 'gt_oq', 'true_us',
];

/** AMD XOP instructions by map (8: imm8, 9: none, 10: imm32) and opcode. */
export const XOP: Record<number, Record<number, string>> = {
  8: { 0x85: 'vpmacssww', 0x86: 'vpmacsswd', 0x87: 'vpmacssdql', 0x8e: 'vpmacssdd', 0x8f: 'vpmacssdqh', 0x95: 'vpmacsww',
    0x96: 'vpmacswd', 0x97: 'vpmacsdql', 0x9e: 'vpmacsdd', 0x9f: 'vpmacsdqh', 0xa2: 'vpcmov', 0xa3: 'vpperm', 0xa6: 'vpmadcsswd',
    0xb6: 'vpmadcswd', 0xc0: 'vprotb', 0xc1: 'vprotw', 0xc2: 'vprotd', 0xc3: 'vprotq', 0xcc: 'vpcomb', 0xcd: 'vpcomw', 0xce: 'vpcomd',
    0xcf: 'vpcomq', 0xec: 'vpcomub', 0xed: 'vpcomuw', 0xee: 'vpcomud', 0xef: 'vpcomuq' },
  9: { 0x01: 'tbm', 0x02: 'tbm', 0x12: 'lwp', 0x80: 'vfrczps', 0x81: 'vfrczpd', 0x82: 'vfrczss', 0x83: 'vfrczsd', 0x90: 'vprotb',
    0x91: 'vprotw', 0x92: 'vprotd', 0x93: 'vprotq', 0x94: 'vpshlb', 0x95: 'vpshlw', 0x96: 'vpshld', 0x97: 'vpshlq', 0x98: 'vpshab',
    0x99: 'vpshaw', 0x9a: 'vpshad', 0x9b: 'vpshaq', 0xc1: 'vphaddbw', 0xc2: 'vphaddbd', 0xc3: 'vphaddbq', 0xc6: 'vphaddwd',
    0xc7: 'vphaddwq', 0xcb: 'vphadddq', 0xd1: 'vphaddubw', 0xd2: 'vphaddubd', 0xd3: 'vphaddubq', 0xd6: 'vphadduwd',
    0xd7: 'vphadduwq', 0xdb: 'vphaddudq', 0xe1: 'vphsubbw', 0xe2: 'vphsubwd', 0xe3: 'vphsubdq' },
  10: { 0x10: 'bextr', 0x12: 'lwp' },
};
