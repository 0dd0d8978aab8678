package dev.cmk.examples.documents;

import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PutMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code PUT /documents/{id}} stores the request body encrypted; {@code GET /documents/{id}}
 * returns it decrypted. Failures are RFC 9457 problem details ({@link DocumentProblems}).
 */
@RestController
@RequestMapping("/documents")
public class DocumentController {
  private final DocumentStore store;

  DocumentController(DocumentStore store) {
    this.store = store;
  }

  @PutMapping("/{id}")
  ResponseEntity<Void> put(@PathVariable("id") String id, @RequestBody byte[] content) {
    store.put(id, content);
    return ResponseEntity.noContent().build();
  }

  @GetMapping(value = "/{id}", produces = MediaType.APPLICATION_OCTET_STREAM_VALUE)
  ResponseEntity<byte[]> get(@PathVariable("id") String id) {
    return store.get(id)
        .map(ResponseEntity::ok)
        .orElseThrow(() -> new DocumentProblems.NoSuchDocument(id));
  }
}
