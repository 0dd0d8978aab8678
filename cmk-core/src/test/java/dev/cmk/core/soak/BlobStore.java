package dev.cmk.core.soak;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * An object store as a service would use one: an upload streams bytes into an object that becomes
 * visible only when the upload is closed; an aborted upload is discarded, but if it had already
 * received bytes that is counted as a partial object (what a store without transactional uploads
 * would be left with). Thread-safe.
 */
final class BlobStore {
  private final Map<String, byte[]> objects = new ConcurrentHashMap<>();
  private final Set<Upload> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong partialUploads = new AtomicLong();
  private final AtomicLong replacements = new AtomicLong();

  /** Stores a complete object (one-shot write). */
  void put(String id, byte[] bytes) {
    if (objects.putIfAbsent(id, bytes.clone()) != null) {
      throw new IllegalStateException("object " + id + " exists");
    }
  }

  /** Replaces an existing object atomically (a committed re-wrap). */
  void replace(String id, byte[] bytes) {
    if (objects.replace(id, bytes.clone()) == null) {
      throw new IllegalStateException("object " + id + " does not exist");
    }
    replacements.incrementAndGet();
  }

  Optional<byte[]> get(String id) {
    return Optional.ofNullable(objects.get(id)).map(byte[]::clone);
  }

  Set<String> ids() {
    return Set.copyOf(objects.keySet());
  }

  /** Starts a streaming upload of a new object. */
  Upload upload(String id) {
    Upload u = new Upload(id);
    open.add(u);
    return u;
  }

  /** Aborted uploads that had already received bytes. */
  long partialUploads() {
    return partialUploads.get();
  }

  /** Uploads neither closed nor aborted. */
  int openUploads() {
    return open.size();
  }

  long replacements() {
    return replacements.get();
  }

  /** An upload in progress. */
  final class Upload extends OutputStream {
    private final String id;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
    private boolean finished;

    private Upload(String id) {
      this.id = id;
    }

    @Override
    public synchronized void write(int b) throws IOException {
      ensureOpen();
      buffer.write(b);
    }

    @Override
    public synchronized void write(byte[] b, int off, int len) throws IOException {
      ensureOpen();
      buffer.write(b, off, len);
    }

    /** Publishes the object. */
    @Override
    public synchronized void close() {
      if (!finished) {
        finished = true;
        open.remove(this);
        put(id, buffer.toByteArray());
      }
    }

    /**
     * Discards an upload that failed part-way (the application saw the exception and abandons
     * it); nothing is published.
     */
    synchronized void discard() {
      if (!finished) {
        finished = true;
        open.remove(this);
      }
    }

    /**
     * Discards an upload whose encrypting stream could not even be opened; counts it as a partial
     * object if it had received bytes (it must not have: a refused write sends nothing).
     */
    synchronized void abort() {
      if (!finished) {
        finished = true;
        open.remove(this);
        if (buffer.size() > 0) {
          partialUploads.incrementAndGet();
        }
      }
    }

    private void ensureOpen() throws IOException {
      if (finished) {
        throw new IOException("upload " + id + " is finished");
      }
    }
  }
}
