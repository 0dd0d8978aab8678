package dev.cmk.bomtest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;
import org.w3c.dom.NodeList;

/**
 * cmk-bom as a user meets it. The published modules are read from the reactor's poms (every module
 * whose {@code maven.deploy.skip} is not true); the BOM must list exactly those, carry the metadata
 * Maven Central requires, and a fresh Maven project that imports it (no versions of its own) must
 * resolve every listed artifact and compile against each module.
 *
 * <p>The fresh project builds with a local repository of its own under {@code target/}, seeded
 * with this build's jars and poms the way {@code mvn install} lays them out (the shared local
 * repository is never written). Third-party artifacts are read from the shared local repository,
 * as a {@code file:} repository searched first; when this build runs offline ({@code -o}) so does
 * the fresh one, and Maven Central is the fallback otherwise (a user's build resolves versions,
 * e.g. jna 5.13 under msal4j-persistence-extension, that cmk's own dependency management
 * replaces, so a fresh machine may not have them yet).
 */
class BomImportIT {
  private static final String GROUP = "dev.cmk";

  private static Path root;
  private static String version;
  private static Path work;

  @BeforeAll
  static void locate() throws IOException {
    root = Path.of(property("cmk.root")).toRealPath();
    version = property("cmk.version");
    work = Path.of(property("cmk.workDir"));
  }

  @Test
  void bom_listsExactlyThePublishedModules() throws Exception {
    Set<String> published = new TreeSet<>();
    for (Module m : publishedJarModules()) {
      published.add(m.artifactId());
    }
    assertTrue(
        published.containsAll(Set.of("cmk-api", "cmk-core", "cmk-cli")), published::toString);
    assertFalse(published.contains("cmk-benchmarks"), "benchmarks are never published");

    Set<String> listed = new TreeSet<>();
    for (BomEntry e : bomEntries()) {
      assertEquals(GROUP, e.groupId(), e.toString());
      assertEquals("${project.version}", e.version(), e.toString());
      listed.add(e.artifactId());
    }
    assertEquals(published, listed, "cmk-bom's dependencyManagement vs the published modules");
  }

  @Test
  void bom_carriesTheMetadataMavenCentralRequires() throws Exception {
    Element bom = parse(root.resolve("cmk-bom/pom.xml")).getDocumentElement();
    for (String path :
        List.of(
            "name",
            "description",
            "url",
            "licenses/license/name",
            "licenses/license/url",
            "developers/developer/name",
            "scm/url",
            "scm/connection")) {
      assertFalse(text(bom, path).isBlank(), "cmk-bom/pom.xml lacks " + path);
    }
  }

  @Test
  void repository_hasTheApacheLicenseThePomsDeclare() throws Exception {
    Path license = root.resolve("LICENSE");
    assertTrue(Files.isRegularFile(license), "LICENSE at the repository root");
    String text = Files.readString(license, StandardCharsets.UTF_8);
    assertTrue(text.contains("Apache License") && text.contains("Version 2.0, January 2004"), text);
    assertTrue(text.contains("END OF TERMS AND CONDITIONS"), "the full license text");
    for (Path pom : List.of(root.resolve("pom.xml"), root.resolve("cmk-bom/pom.xml"))) {
      String declared = text(parse(pom).getDocumentElement(), "licenses/license/name");
      assertEquals("Apache-2.0", declared, pom.toString());
    }
  }

  @Test
  void freshProject_importingTheBom_resolvesAndCompilesAgainstEveryArtifact() throws Exception {
    List<BomEntry> entries = bomEntries();
    Path repo = work.resolve("repo");
    Path project = work.resolve("project");
    deleteRecursively(work);
    seedRepository(repo, entries);
    writeProject(project, entries);
    Path settings = work.resolve("settings.xml");
    Files.writeString(settings, settingsXml(), StandardCharsets.UTF_8);

    Path deps = work.resolve("dependencies.txt");
    Path log = work.resolve("build.log");
    Path mvn = Path.of(property("cmk.mavenHome"), "bin", "mvn");
    List<String> command = new ArrayList<>(List.of(mvn.toString(), "-B"));
    if (Boolean.parseBoolean(property("cmk.offline"))) {
      // Offline, yet the file: repository (the shared local repository) may be read.
      command.addAll(List.of("-o", "-Daether.offline.protocols=file"));
    }
    command.addAll(
        List.of(
            "-s",
            settings.toString(),
            "-Dmaven.repo.local=" + repo,
            "-f",
            project.resolve("pom.xml").toString(),
            "-DoutputFile=" + deps,
            "-DincludeGroupIds=" + GROUP,
            "dependency:list",
            "compile"));
    ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.redirectOutput(log.toFile());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().remove("MAVEN_ARGS");
    Process p = pb.start();
    if (!p.waitFor(5, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      fail("the fresh project's build did not finish in 5 minutes; see " + log);
    }
    String output = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), () -> "fresh project build failed:\n" + tail(output));

    String listed = Files.readString(deps, StandardCharsets.UTF_8);
    for (BomEntry e : entries) {
      String classifier = e.classifier().isEmpty() ? "" : e.classifier() + ":";
      String coordinate =
          GROUP + ":" + e.artifactId() + ":jar:" + classifier + version + ":compile";
      assertTrue(listed.contains(coordinate), () -> coordinate + " not resolved:\n" + listed);
    }
    assertTrue(
        Files.isRegularFile(project.resolve("target/classes/bomtest/UsesEveryModule.class")),
        "the fresh project compiled against every module");
  }

  // --- the reactor -------------------------------------------------------------------------

  record Module(Path dir, String artifactId, String packaging) {}

  record BomEntry(String groupId, String artifactId, String version, String classifier) {}

  /** Jar modules of the reactor that are published (maven.deploy.skip not true, inherited). */
  static List<Module> publishedJarModules() throws Exception {
    List<Module> out = new ArrayList<>();
    collect(root, false, out);
    return out;
  }

  private static void collect(Path dir, boolean parentSkips, List<Module> out) throws Exception {
    Element pom = parse(dir.resolve("pom.xml")).getDocumentElement();
    String skip = text(pom, "properties/maven.deploy.skip");
    boolean skips = skip.isEmpty() ? parentSkips : Boolean.parseBoolean(skip);
    String packaging = text(pom, "packaging");
    packaging = packaging.isEmpty() ? "jar" : packaging;
    if (!skips && packaging.equals("jar")) {
      out.add(new Module(dir, text(pom, "artifactId"), packaging));
    }
    for (Element module : children(pom, "modules/module")) {
      collect(dir.resolve(module.getTextContent().trim()), skips, out);
    }
  }

  static List<BomEntry> bomEntries() throws Exception {
    Element bom = parse(root.resolve("cmk-bom/pom.xml")).getDocumentElement();
    List<BomEntry> out = new ArrayList<>();
    for (Element d : children(bom, "dependencyManagement/dependencies/dependency")) {
      out.add(
          new BomEntry(
              text(d, "groupId"),
              text(d, "artifactId"),
              text(d, "version"),
              text(d, "classifier")));
    }
    assertFalse(out.isEmpty(), "cmk-bom lists nothing");
    return out;
  }

  // --- the seeded repository and the fresh project --------------------------------------------

  /** What {@code mvn install} would put into a local repository, copied from this build. */
  private static void seedRepository(Path repo, List<BomEntry> entries) throws Exception {
    install(repo, "cmk-parent", "pom", "", root.resolve("pom.xml"));
    install(repo, "cmk-bom", "pom", "", root.resolve("cmk-bom/pom.xml"));
    for (Module m : publishedJarModules()) {
      install(repo, m.artifactId(), "pom", "", m.dir().resolve("pom.xml"));
      Path jar = m.dir().resolve("target/" + m.artifactId() + "-" + version + ".jar");
      assertTrue(Files.isRegularFile(jar), jar + " was not built");
      install(repo, m.artifactId(), "jar", "", jar);
    }
    for (BomEntry e : entries) {
      if (e.classifier().equals("all") && e.artifactId().equals("cmk-cli")) {
        install(repo, "cmk-cli", "jar", "all", root.resolve("cmk-cli/target/cmk.jar"));
      } else if (!e.classifier().isEmpty()) {
        fail("no file known for " + e);
      }
    }
  }

  private static void install(
      Path repo, String artifactId, String ext, String classifier, Path file) throws IOException {
    Path dir = repo.resolve("dev/cmk").resolve(artifactId).resolve(version);
    Files.createDirectories(dir);
    String name =
        artifactId + "-" + version + (classifier.isEmpty() ? "" : "-" + classifier) + "." + ext;
    Files.copy(file, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
  }

  private static void writeProject(Path project, List<BomEntry> entries) throws IOException {
    StringBuilder deps = new StringBuilder();
    for (BomEntry e : entries) {
      deps.append("    <dependency><groupId>").append(GROUP).append("</groupId><artifactId>")
          .append(e.artifactId()).append("</artifactId>");
      if (!e.classifier().isEmpty()) {
        deps.append("<classifier>").append(e.classifier()).append("</classifier>");
      }
      deps.append("</dependency>\n");
    }
    String pom =
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>example</groupId>
          <artifactId>uses-cmk-bom</artifactId>
          <version>1</version>
          <properties>
            <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
            <maven.compiler.release>17</maven.compiler.release>
          </properties>
          <dependencyManagement>
            <dependencies>
              <dependency>
                <groupId>dev.cmk</groupId>
                <artifactId>cmk-bom</artifactId>
                <version>@VERSION@</version>
                <type>pom</type>
                <scope>import</scope>
              </dependency>
            </dependencies>
          </dependencyManagement>
          <dependencies>
        @DEPENDENCIES@  </dependencies>
          <build>
            <plugins>
              <plugin>
                <artifactId>maven-resources-plugin</artifactId>
                <version>3.3.1</version>
              </plugin>
              <plugin>
                <artifactId>maven-compiler-plugin</artifactId>
                <version>3.13.0</version>
              </plugin>
              <plugin>
                <artifactId>maven-dependency-plugin</artifactId>
                <version>3.8.1</version>
              </plugin>
            </plugins>
          </build>
        </project>
        """
            .replace("@VERSION@", version)
            .replace("@DEPENDENCIES@", deps);
    Files.createDirectories(project.resolve("src/main/java/bomtest"));
    Files.writeString(project.resolve("pom.xml"), pom, StandardCharsets.UTF_8);
    Files.writeString(
        project.resolve("src/main/java/bomtest/UsesEveryModule.java"),
        """
        package bomtest;

        /** A public type of every published module: each jar must be on the class path. */
        public final class UsesEveryModule {
          public static final Class<?>[] TYPES = {
            dev.cmk.api.KeyReference.class,
            dev.cmk.core.EnvelopeCrypto.class,
            dev.cmk.keystore.KeystoreKeyProvider.class,
            dev.cmk.softhsm.Pkcs11KeyProvider.class,
            dev.cmk.azure.AzureKeyVaultProvider.class,
            dev.cmk.state.azureblob.BlobFleetStateStore.class,
            dev.cmk.azureblob.EnvelopeBlobClient.class,
            dev.cmk.testkit.azurite.Azurite.class,
            dev.cmk.state.jdbc.JdbcFleetStateStore.class,
            dev.cmk.testkit.InMemoryKeyProvider.class,
            dev.cmk.cli.Cmk.class,
            dev.cmk.spring.boot.CmkAutoConfiguration.class,
          };

          private UsesEveryModule() {}
        }
        """,
        StandardCharsets.UTF_8);
  }

  /** The shared local repository, read as a file: URL before Maven Central, plugins included. */
  private static String settingsXml() {
    String url = Path.of(property("cmk.localRepository")).toUri().toString();
    String repository =
        """
              <id>shared-local-repository</id>
              <url>@URL@</url>
              <releases><enabled>true</enabled></releases>
              <snapshots><enabled>false</enabled></snapshots>
        """
            .replace("@URL@", url);
    return """
        <settings>
          <profiles>
            <profile>
              <id>shared-local-repository</id>
              <repositories><repository>
        @REPOSITORY@      </repository></repositories>
              <pluginRepositories><pluginRepository>
        @REPOSITORY@      </pluginRepository></pluginRepositories>
            </profile>
          </profiles>
          <activeProfiles><activeProfile>shared-local-repository</activeProfile></activeProfiles>
        </settings>
        """
        .replace("@REPOSITORY@", repository);
  }

  // --- helpers ---------------------------------------------------------------------------------

  private static String property(String name) {
    String value = System.getProperty(name);
    assertTrue(value != null && !value.isBlank(), "system property " + name + " (set by the pom)");
    return value;
  }

  private static Document parse(Path pom) throws Exception {
    DocumentBuilderFactory f = DocumentBuilderFactory.newInstance();
    f.setFeature("http://apache.org/xml/features/disallow-doctype-decl", true);
    return f.newDocumentBuilder().parse(pom.toFile());
  }

  /** Direct-child path, e.g. {@code licenses/license/name}: the first match's text, or "". */
  private static String text(Element from, String path) {
    List<Element> found = children(from, path);
    return found.isEmpty() ? "" : found.get(0).getTextContent().trim();
  }

  private static List<Element> children(Element from, String path) {
    List<Element> current = List.of(from);
    for (String step : path.split("/")) {
      List<Element> next = new ArrayList<>();
      for (Element e : current) {
        NodeList nodes = e.getChildNodes();
        for (int i = 0; i < nodes.getLength(); i++) {
          Node n = nodes.item(i);
          if (n instanceof Element c && c.getTagName().equals(step)) {
            next.add(c);
          }
        }
      }
      current = next;
    }
    return current;
  }

  private static String tail(String output) {
    String[] lines = output.split("\n");
    return String.join("\n", List.of(lines).subList(Math.max(0, lines.length - 60), lines.length));
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(dir)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
