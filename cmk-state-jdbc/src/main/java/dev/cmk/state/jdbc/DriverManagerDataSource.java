package dev.cmk.state.jdbc;

import dev.cmk.api.spi.SecretSource;
import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.jspecify.annotations.Nullable;

/**
 * A {@link DataSource} without a pool: every {@link #getConnection()} opens a new connection
 * through {@link DriverManager}. For command-line tools, tests and other short-lived processes,
 * where the stores' one borrowed connection per call is cheap enough; a long-running service
 * should give the stores its pool instead.
 *
 * <pre>{@code
 * DataSource db = DriverManagerDataSource.builder()
 *     .url("jdbc:postgresql://db.internal/app")
 *     .user("cmk")
 *     .password(SecretSource.ofFile(Path.of("/run/secrets/db-password")))
 *     .property("connectTimeout", "5")       // a driver property (PostgreSQL: seconds)
 *     .build();
 * DataKeyStore records = JdbcDataKeyStore.builder().dataSource(db).build();
 * }</pre>
 *
 * <p><b>Security:</b> the password is read from its {@link SecretSource} for each connection and
 * kept in no field; a source that cannot be read fails the connection with an {@link
 * SQLException} (SQLState {@code 28000}) carrying the source's message, which for a file or
 * environment source names the file or variable, never the secret (for a callback source it is
 * whatever the callback's exception says). {@link #toString()} names neither the URL (which may carry
 * credentials) nor the user.
 *
 * <p><b>Thread safety:</b> immutable and safe for concurrent use. {@link #setLoginTimeout} and
 * {@link #getLoginTimeout} are {@link DriverManager}'s, which are global to the JVM.
 */
public final class DriverManagerDataSource implements DataSource {
  private final String url;
  private final @Nullable String user;
  private final @Nullable SecretSource password;
  private final Map<String, String> properties;

  private DriverManagerDataSource(Builder b) {
    this.url = Objects.requireNonNull(b.url, "url");
    this.user = b.user;
    this.password = b.password;
    this.properties = Map.copyOf(b.properties);
  }

  /** {@return a new builder} */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens a new connection with the configured user, password (read now) and properties.
   *
   * @return the connection; the caller closes it
   * @throws SQLException if the password source cannot be read (SQLState {@code 28000}) or the
   *     driver fails
   */
  @Override
  public Connection getConnection() throws SQLException {
    Properties p = new Properties();
    p.putAll(properties);
    if (user != null) {
      p.setProperty("user", user);
    }
    if (password != null) {
      try {
        p.setProperty("password", password.apply(String::new));
      } catch (RuntimeException e) {
        // A missing file or variable: named by the source's message, never the secret.
        throw new SQLException(e.getMessage(), "28000");
      }
    }
    return DriverManager.getConnection(url, p);
  }

  /**
   * Not supported: the credentials are the configured ones.
   *
   * @throws SQLFeatureNotSupportedException always
   */
  @Override
  public Connection getConnection(String username, String pw) throws SQLException {
    throw new SQLFeatureNotSupportedException("the credentials are configured in the builder");
  }

  /** {@return null: this data source does not log} */
  @Override
  public @Nullable PrintWriter getLogWriter() {
    return null;
  }

  /** Ignored: this data source does not log. */
  @Override
  public void setLogWriter(@Nullable PrintWriter out) {
    // no log
  }

  /** Sets {@link DriverManager}'s login timeout, which is global to the JVM. */
  @Override
  public void setLoginTimeout(int seconds) {
    DriverManager.setLoginTimeout(seconds);
  }

  /** {@return {@link DriverManager}'s login timeout} */
  @Override
  public int getLoginTimeout() {
    return DriverManager.getLoginTimeout();
  }

  /**
   * Not supported: this data source does not log.
   *
   * @throws SQLFeatureNotSupportedException always
   */
  @Override
  public Logger getParentLogger() throws SQLFeatureNotSupportedException {
    throw new SQLFeatureNotSupportedException();
  }

  /**
   * This data source wraps nothing: it unwraps only to a type it is itself (as {@link
   * java.sql.Wrapper} requires, e.g. {@code unwrap(DataSource.class)} returns it).
   *
   * @throws SQLException if this data source is not a {@code iface}
   */
  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    if (iface.isInstance(this)) {
      return iface.cast(this);
    }
    throw new SQLException("DriverManagerDataSource is not a " + iface.getName());
  }

  /** {@return whether this data source is itself a {@code iface}: it wraps nothing else} */
  @Override
  public boolean isWrapperFor(Class<?> iface) {
    return iface.isInstance(this);
  }

  /** {@return the class name only: never the URL, user or password} */
  @Override
  public String toString() {
    return "DriverManagerDataSource";
  }

  /**
   * Configures a {@link DriverManagerDataSource}: the URL (required), the user and password, and
   * driver properties, each at most once. Not thread-safe.
   */
  public static final class Builder {
    private @Nullable String url;
    private @Nullable String user;
    private @Nullable SecretSource password;
    private final Map<String, String> properties = new LinkedHashMap<>();

    private Builder() {}

    /**
     * The JDBC URL; the driver for it must be on the class path. Keep credentials out of it.
     *
     * @param url a URL starting with {@code jdbc:}
     * @return this builder
     * @throws IllegalArgumentException if it does not start with {@code jdbc:}
     * @throws IllegalStateException if already set
     */
    public Builder url(String url) {
      Objects.requireNonNull(url, "url");
      if (!url.startsWith("jdbc:")) {
        throw new IllegalArgumentException("url must start with jdbc:");
      }
      if (this.url != null) {
        throw new IllegalStateException("url was already set");
      }
      this.url = url;
      return this;
    }

    /**
     * The database user (default: none given to the driver).
     *
     * @param user the user name
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder user(String user) {
      Objects.requireNonNull(user, "user");
      if (this.user != null) {
        throw new IllegalStateException("user was already set");
      }
      this.user = user;
      return this;
    }

    /**
     * Where the password comes from (default: none given to the driver); read for each
     * connection.
     *
     * @param password the password's source
     * @return this builder
     * @throws IllegalStateException if already set
     */
    public Builder password(SecretSource password) {
      Objects.requireNonNull(password, "password");
      if (this.password != null) {
        throw new IllegalStateException("password was already set");
      }
      this.password = password;
      return this;
    }

    /**
     * A driver property, passed with every connection (e.g. PostgreSQL's {@code connectTimeout}).
     *
     * @param name the property's name, not {@code user} or {@code password} in any case (those
     *     have their own setters, so that a password never sits in a field)
     * @param value its value
     * @return this builder
     * @throws IllegalArgumentException if the name is {@code user} or {@code password}
     * @throws IllegalStateException if this property was already set
     */
    public Builder property(String name, String value) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(value, "value");
      if (name.equalsIgnoreCase("user") || name.equalsIgnoreCase("password")) {
        throw new IllegalArgumentException("give the " + name + " with its own setter");
      }
      if (properties.containsKey(name)) {
        throw new IllegalStateException("property " + name + " was already set");
      }
      properties.put(name, value);
      return this;
    }

    /**
     * Builds the data source; opens no connection.
     *
     * @return the data source
     * @throws IllegalStateException if no URL was set
     */
    public DriverManagerDataSource build() {
      if (url == null) {
        throw new IllegalStateException("url is required");
      }
      return new DriverManagerDataSource(this);
    }
  }
}
