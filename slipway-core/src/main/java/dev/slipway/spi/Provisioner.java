package dev.slipway.spi;

/**
 * Brings a whole cluster's fixed part (controllers, login nodes, munge, accounting, the daemon)
 * into being on one backend and takes it away again. Elastic compute nodes are not its business:
 * the daemon grows and shrinks them through a {@link NodeProvider}.
 *
 * <p>Every operation reports its steps as {@link EngineEvent}s through the sink; the CLI renders
 * them as progress lines. Operations are safe to repeat: {@code create} after a failure starts
 * from a clean slate (a failed create undoes what it made), {@code destroy} of what is already
 * gone does nothing.
 */
public interface Provisioner {
  /** Creates and starts the cluster; on failure removes everything it made, then throws. */
  void create(EventSink events) throws InterruptedException;

  /** Starts a suspended cluster's controllers and login nodes on their kept state. */
  void start(EventSink events) throws InterruptedException;

  /** Stops controllers and login nodes, keeping their state (jobs, accounting) for {@link #start}. */
  void suspend(EventSink events) throws InterruptedException;

  /** What runs now, as far as this machine can see. */
  ClusterStatus status() throws InterruptedException;

  /** Removes every process, device, mount and file this cluster made. */
  void destroy(EventSink events) throws InterruptedException;
}
