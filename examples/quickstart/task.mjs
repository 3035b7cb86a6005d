export default function square(n) {
  return n * n;
}
