/** VM_FAULT_* bits of a fault's return value, as text for trace args. */
import {
  VM_FAULT_COMPLETED, VM_FAULT_LOCKED, VM_FAULT_MAJOR, VM_FAULT_RETRY, VM_FAULT_RETRY_HARD, VM_FAULT_RETRY_VMA, VM_FAULT_SIGSEGV,
} from '../model/index.js';

const NAMES: Array<[number, string]> = [
  [VM_FAULT_SIGSEGV, 'SIGSEGV'], [VM_FAULT_MAJOR, 'MAJOR'], [VM_FAULT_LOCKED, 'LOCKED'], [VM_FAULT_RETRY, 'RETRY'],
  [VM_FAULT_RETRY_VMA, 'RETRY_VMA'], [VM_FAULT_COMPLETED, 'COMPLETED'], [VM_FAULT_RETRY_HARD, 'RETRY_HARD'],
];

/** `VM_FAULT_MAJOR|VM_FAULT_RETRY`, or `0`. */
export function faultFlags(ret: number): string {
  const names = NAMES.filter(([bit]) => (ret & bit) !== 0).map(([, n]) => `VM_FAULT_${n}`);
  const rest = NAMES.reduce((r, [bit]) => r & ~bit, ret);
  if (rest !== 0) names.push(`0x${rest.toString(16)}`);
  return names.length === 0 ? '0' : names.join('|');
}
