package dev.cmk.testkit.keyvault;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import java.io.IOException;

/**
 * A handler that always closes the exchange after serving it, whether it answered or threw, so a
 * failed request never leaves its connection half-open for the client to time out on.
 */
abstract class ClosingHandler implements HttpHandler {

  @Override
  public final void handle(HttpExchange exchange) throws IOException {
    try {
      serve(exchange);
    } finally {
      exchange.close();
    }
  }

  /**
   * Answers one request; the exchange is closed afterwards.
   *
   * @param exchange the request and its response
   * @throws IOException if the exchange fails
   */
  abstract void serve(HttpExchange exchange) throws IOException;
}
