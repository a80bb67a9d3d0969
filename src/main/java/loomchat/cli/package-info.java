/**
 * The command line: {@code loomchat serve} runs a server, {@code loomchat client} is an
 * interactive terminal client, {@code loomchat bench} drives load, and {@code loomchat soak}
 * runs the bounded soak. {@link loomchat.cli.Main} is the jar's entry point; each subcommand is
 * a picocli class that parses flags and hands over to the package that does the work.
 */
package loomchat.cli;
