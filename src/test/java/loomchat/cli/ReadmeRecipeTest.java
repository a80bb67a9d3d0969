package loomchat.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** README.md's integration-test recipe is code that compiles and runs: {@link LoomchatJarIT}. */
class ReadmeRecipeTest {
    @Test
    void theReadmesIntegrationTestRecipeIsLoomchatJarIT() throws Exception {
        // given the README's section and the class that failsafe runs
        String readme = Files.readString(Path.of("README.md"));
        String it = Files.readString(Path.of("src/test/java/loomchat/cli/LoomchatJarIT.java"));

        // when the section's code block and the class's README region are cut out
        String section = readme.substring(readme.indexOf("## Use it in your own integration tests"));
        int start = section.indexOf("```java\n") + "```java\n".length();
        String block = section.substring(start, section.indexOf("```\n", start));
        String region = it.substring(it.indexOf("// README begin\n") + "// README begin\n".length(),
                it.indexOf("// README end\n"));

        // then they are the same text
        assertEquals(region, block, "README.md's code block differs from LoomchatJarIT.java's README region");
    }
}
