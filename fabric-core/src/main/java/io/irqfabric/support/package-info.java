/**
 * Small helpers shared by the exported packages, not API: {@link io.irqfabric.support.ArrayRecords}
 * gives the controllers' state records value semantics over their array components. This
 * package is not exported.
 */
package io.irqfabric.support;
