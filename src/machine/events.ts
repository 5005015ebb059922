// Counters of machine events another CPU can observe (interrupt delivery and sending, hypercalls, host stores to guest memory, text writes, patch-site instructions executed), for tools that reason about which slices of a run commute; the machine only counts.

/**
 * One instance per machine, shared by its memory, CPUs and scheduler. The counters only grow; a
 * tool reads them before and after a slice. The two address logs are kept only while `log` is set
 * (nothing is allocated otherwise) and are the tool's to clear.
 */
export class MachineEvents {
  /** Keep the address logs (textWrites, siteExecs). */
  log = false;
  /** Interrupts, NMIs and exceptions delivered through the IDT, on any CPU. */
  delivered = 0;
  /** Interrupts and NMIs sent to a CPU from outside it (IPIs, a test's NMI). */
  sent = 0;
  /** Hypercalls (host code entered from guest code), on any CPU. */
  hypercalls = 0;
  /** Stores to guest memory made by host code through Memory.write (guest stores do not go there). */
  hostStores = 0;
  /** Text writes (text_poke stores): address, length, address, length, ... (only while `log`). */
  readonly textWrites: number[] = [];
  /** Addresses of instructions executed that start inside a registered patch site (only while `log`). */
  readonly siteExecs: number[] = [];
}
