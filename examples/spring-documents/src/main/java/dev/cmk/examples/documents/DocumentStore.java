package dev.cmk.examples.documents;

import static java.nio.charset.StandardCharsets.UTF_8;

import dev.cmk.core.EnvelopeCrypto;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Optional;
import java.util.regex.Pattern;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.stereotype.Service;

/**
 * Documents as cmk envelopes, one file per document ({@code {id}.cmk}) in {@code
 * documents.directory}. The envelope's associated data is the document id, so an envelope copied
 * or renamed onto another id fails to decrypt instead of serving one document under another's id.
 * Nothing but the id is stored in clear.
 */
@Service
public class DocumentStore {
  /** Ids are file names: letters, digits, '.', '_' and '-', not starting with '.'. */
  static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,127}");

  private final EnvelopeCrypto crypto;
  private final Path directory;

  DocumentStore(EnvelopeCrypto crypto, @Value("${documents.directory}") Path directory)
      throws IOException {
    this.crypto = crypto;
    this.directory = Files.createDirectories(directory);
  }

  /** The associated data that binds an envelope to its document. */
  static byte[] associatedData(String id) {
    return ("spring-documents/document/" + id).getBytes(UTF_8);
  }

  Path file(String id) {
    if (!ID.matcher(id).matches()) {
      throw new DocumentProblems.InvalidDocumentId(ID.pattern());
    }
    return directory.resolve(id + ".cmk");
  }

  /**
   * Encrypts and stores a document, replacing any previous one with this id.
   *
   * @param id the document id
   * @param content the plaintext
   */
  public void put(String id, byte[] content) {
    Path target = file(id);
    byte[] envelope = crypto.encrypt(content, associatedData(id));
    try {
      Path temp = Files.createTempFile(directory, ".put-", ".tmp");
      try {
        Files.write(temp, envelope);
        try {
          Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE,
              StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
          Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
      } finally {
        Files.deleteIfExists(temp);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Reads and decrypts a document.
   *
   * @param id the document id
   * @return the plaintext, or empty if there is no such document
   */
  public Optional<byte[]> get(String id) {
    byte[] envelope;
    try {
      envelope = Files.readAllBytes(file(id));
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return Optional.of(crypto.decrypt(envelope, associatedData(id)));
  }
}
