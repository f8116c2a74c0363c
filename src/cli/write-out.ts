/**
 * Writes to standard output and waits until it has taken the text. A reader that went away
 * (`| head`) ends the output quietly, so the command still closes its database.
 */
export function writeOut(text: string): Promise<boolean> {
  return new Promise((resolve) => {
    const gone = () => resolve(false)
    process.stdout.once('error', gone)
    const done = () => {
      process.stdout.off('error', gone)
      resolve(true)
    }
    if (process.stdout.write(text)) done()
    else process.stdout.once('drain', done)
  })
}
