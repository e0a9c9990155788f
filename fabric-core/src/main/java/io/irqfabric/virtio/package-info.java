/**
 * virtio interrupt plumbing: the virtio-MMIO interrupt status register pair
 * ({@link io.irqfabric.virtio.VirtioMmioInterrupt}) and the virtio-PCI queue-to-MSI-X-vector map
 * ({@link io.irqfabric.virtio.VirtioPciVectors}).
 *
 * <pre>
 *   virtio-MMIO                                        virtio-PCI
 *   device: status |= VRING (atomic OR)                device: v = vector[queue] (acquire load)
 *           trigger(gsi)                                       v == 0xFFFF ? nothing : table.trigger(v)
 *   guest:  read  0x60 InterruptStatus  (ring)         guest:  write queue_msix_vector (ring, waits)
 *           write 0x64 InterruptACK: status &amp;= ~ack          read it back: NO_VECTOR if unmappable
 * </pre>
 */
package io.irqfabric.virtio;
