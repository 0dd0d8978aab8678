package dev.cmk.examples.documents;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

/**
 * A REST service that keeps documents encrypted under a customer-managed key. The {@link
 * dev.cmk.core.EnvelopeCrypto} it uses comes from cmk-spring-boot-starter, configured by the
 * {@code cmk.*} properties in {@code application.properties}.
 */
@SpringBootApplication
public class DocumentsApplication {

  /**
   * Starts the service.
   *
   * @param args Spring Boot arguments, e.g. {@code --cmk.key=https://...}
   */
  public static void main(String[] args) {
    SpringApplication.run(DocumentsApplication.class, args);
  }
}
