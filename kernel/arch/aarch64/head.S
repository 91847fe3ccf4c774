/* Kernel entry on every platform.
 *
 * The image starts with the 64-byte arm64 Linux "Image" header, so QEMU's
 * -kernel on virt loads it at RAM base + text_offset and passes the device
 * tree in x0; on the Raspberry Pi the firmware (or QEMU's raspi3b boot stub)
 * loads the same bytes raw at 0x80000 and jumps to the first word, which is a
 * branch over the header.
 *
 * We run at the physical address with the MMU off until enable_mmu; code
 * here must therefore be position independent (adr/adrp only, no absolute
 * addresses except through `ldr =` literals that we only use once the MMU
 * maps the high half). See docs/boot.md. */
#include "arch/aarch64/asm_offsets.h"

#define CURRENTEL_EL2 (2 << 2)
#define HCR_EL2_RW (1 << 31)
#define SCTLR_EL1_RES1 0x30d00800
#define SPSR_EL1H_MASKED 0x3c5
#define ID_AA64PFR0_GIC_SHIFT 24
#define ICC_SRE_EL2_SRE (1 << 0)
#define ICC_SRE_EL2_ENABLE (1 << 3)

.section .text.head, "ax"
.global _start
_start:
	b	primary_entry		/* code0 */
	.long	0			/* code1 */
	.quad	0x80000			/* text_offset: load 512 KiB into RAM */
	.quad	__image_size		/* effective size, including bss */
	.quad	0x2			/* flags: little endian, 4 KiB pages, 2 MiB aligned base */
	.quad	0, 0, 0
	.ascii	"ARM\x64"		/* magic */
	.long	0

.section .text.boot, "ax"
/* The boot CPU. x0 = device tree (virt) or 0/garbage (raspi3). */
primary_entry:
	mov	x19, x0
	mrs	x20, CurrentEL
	lsr	x20, x20, #2		/* entry exception level, for the banner */
	bl	drop_to_el1

	/* A stack (still physical) for the page-table builder. */
	adrp	x0, boot_stacks
	add	x0, x0, #KSTACK_SIZE
	mov	sp, x0
	bl	boot_build_page_tables
	bl	enable_mmu

	/* Now the high half is mapped: continue at our link address. */
	ldr	x0, =primary_high
	br	x0

primary_high:
	ldr	x0, =boot_stacks + KSTACK_SIZE
	mov	sp, x0
	ldr	x0, =exception_vectors
	msr	vbar_el1, x0
	isb
	/* Zero .bss (the boot page tables and stacks live outside it). */
	ldr	x0, =__bss_start
	ldr	x1, =__bss_end
1:	cmp	x0, x1
	b.hs	2f
	stp	xzr, xzr, [x0], #16
	b	1b
2:	mov	x29, xzr		/* terminate the frame-pointer chain */
	mov	x30, xzr
	mov	x0, xzr			/* TPIDR_EL1 before any C++ (this_cpu()) */
	bl	percpu_init_this_cpu
	mov	x0, x19
	mov	x1, x20
	mov	x30, xzr
	bl	kernel_main
	b	halt_forever

/* Secondary CPUs started by PSCI CPU_ON: x0 = our logical CPU number. */
.global secondary_entry_psci
secondary_entry_psci:
	mov	x19, x0
	b	secondary_common

/* Secondary CPUs released from the Raspberry Pi spin table: the CPU number is
 * the affinity-0 field of MPIDR_EL1 (cores 1..3 of the single cluster). */
.global secondary_entry_spin
secondary_entry_spin:
	mrs	x19, mpidr_el1
	and	x19, x19, #0xff
	b	secondary_common

secondary_common:
	bl	drop_to_el1
	bl	enable_mmu
	ldr	x0, =secondary_high
	br	x0

secondary_high:
	ldr	x0, =boot_stacks + KSTACK_SIZE
	add	x0, x0, x19, lsl #KSTACK_SHIFT
	mov	sp, x0
	ldr	x0, =exception_vectors
	msr	vbar_el1, x0
	isb
	mov	x29, xzr
	mov	x30, xzr
	mov	x0, x19
	bl	percpu_init_this_cpu
	mov	x0, x19
	mov	x30, xzr
	bl	secondary_main
	b	halt_forever

/* If we were entered at EL2 (raspi3, or virt with virtualization=on), set
 * up EL2 so that it stays out of the way and continue at EL1 with all
 * interrupts masked. At EL1 already: nothing to do. Clobbers x0. */
drop_to_el1:
	mrs	x0, CurrentEL
	cmp	x0, #CURRENTEL_EL2
	b.ne	1f
	mov	x0, #HCR_EL2_RW		/* EL1 is AArch64; no traps, no stage 2 */
	msr	hcr_el2, x0
	mov	x0, #3			/* EL1 may use the physical timer and counter */
	msr	cnthctl_el2, x0
	msr	cntvoff_el2, xzr
	mov	x0, #0x33ff		/* CPTR_EL2: do not trap FP/SIMD */
	msr	cptr_el2, x0
	msr	hstr_el2, xzr
	mrs	x0, midr_el1
	msr	vpidr_el2, x0
	mrs	x0, mpidr_el1
	msr	vmpidr_el2, x0
	/* A GICv3 CPU interface with system registers (ID_AA64PFR0_EL1.GIC
	 * nonzero; QEMU reports it only when a GICv3 is attached): EL2 uses
	 * the system-register interface itself (ICC_SRE_EL2.SRE) and lets EL1
	 * enable it (ICC_SRE_EL2.Enable; otherwise EL1 accesses to
	 * ICC_SRE_EL1 trap to EL2, where nothing handles them). The virtual
	 * CPU interface stays off (ICH_HCR_EL2.En = 0). Without the interface
	 * (GICv2, raspi3) these registers do not exist and are not touched. */
	mrs	x0, id_aa64pfr0_el1
	ubfx	x0, x0, #ID_AA64PFR0_GIC_SHIFT, #4
	cbz	x0, 2f
	mrs	x0, icc_sre_el2
	orr	x0, x0, #ICC_SRE_EL2_SRE
	orr	x0, x0, #ICC_SRE_EL2_ENABLE
	msr	icc_sre_el2, x0
	isb
	msr	ich_hcr_el2, xzr
2:	ldr	x0, =SCTLR_EL1_RES1	/* MMU and caches off at EL1 */
	msr	sctlr_el1, x0
	mov	x0, #SPSR_EL1H_MASKED
	msr	spsr_el2, x0
	msr	elr_el2, x30
	isb
	eret
1:	ret

/* Turn on the MMU with the boot page tables in both TTBR0 (identity, needed
 * until we branch high) and TTBR1 (kernel linear map). Callable with the MMU
 * off; returns with it on. Clobbers x0-x2. */
enable_mmu:
	/* MAIR: 0 = Device-nGnRnE, 1 = Normal write-back RW-allocate, 2 = Normal non-cacheable. */
	ldr	x0, =0x44ff00
	msr	mair_el1, x0
	/* TCR: 48-bit VAs in both halves, 4 KiB granule, write-back walks, inner
	 * shareable, 16-bit ASIDs; IPS = the CPU's physical address range. */
	ldr	x0, =((16 << 0) | (1 << 8) | (1 << 10) | (3 << 12) | (0 << 14) | \
		      (16 << 16) | (1 << 24) | (1 << 26) | (3 << 28) | (2 << 30) | (1 << 36))
	mrs	x1, id_aa64mmfr0_el1
	and	x1, x1, #0x7
	bfi	x0, x1, #32, #3
	msr	tcr_el1, x0
	/* FP/SIMD accessible at EL0 and EL1 (the kernel itself never uses it). */
	mov	x0, #(3 << 20)
	msr	cpacr_el1, x0
	adrp	x0, boot_pt_l0
	msr	ttbr0_el1, x0
	msr	ttbr1_el1, x0
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	/* M, C, I, SA, SA0; alignment checking stays off for normal memory. */
	ldr	x0, =(SCTLR_EL1_RES1 | (1 << 0) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 12))
	msr	sctlr_el1, x0
	isb
	ret

.global halt_forever
halt_forever:
	msr	daifset, #0xf
1:	wfi
	b	1b

/* void mmu_switch_ttbr1(PhysAddr root): called at its *physical* address
 * (through the boot identity map in TTBR0), so that no instruction fetch or
 * stack access goes through TTBR1 while the kernel tables are replaced. The
 * old and new tables map the same addresses with different block sizes;
 * flushing the TLB before the next TTBR1 access avoids TLB conflicts. */
.section .text.boot, "ax"
.global mmu_switch_ttbr1
mmu_switch_ttbr1:
	dsb	ishst
	msr	ttbr1_el1, x0
	isb
	tlbi	vmalle1
	dsb	nsh
	isb
	ret
