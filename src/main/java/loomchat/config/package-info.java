/**
 * Settings: {@link loomchat.config.Config} is the one immutable record of every knob the
 * server has, and {@link loomchat.config.ConfigLoader} builds it from built-in defaults, then
 * {@code config.yaml}, then command-line overrides, checking each value and naming the key
 * of the first bad one. Nothing else in the server reads files or environment for settings.
 */
package loomchat.config;
