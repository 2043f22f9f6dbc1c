// Stand-in for the `sharp` image library in the worker bundle. @huggingface/transformers requires it when
// it loads, but we only use its tokenizers and chat templates; shipping the native image library in the
// .vsix would add megabytes for nothing. Any image call fails loudly instead.
module.exports = function sharpIsNotBundled() {
  throw new Error('image processing (sharp) is not bundled with the GReaTer worker');
};
