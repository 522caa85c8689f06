/**
 * Asks for the server's bearer token in a modal dialog (the first time an API call is refused
 * with 401, and again if the token given was wrong). What is typed goes to api.ts, which keeps it
 * in sessionStorage; it is never shown or put in a URL.
 */

/** Shows the dialog; resolves with the token typed. */
export function askForToken(wrong: boolean): Promise<string> {
  const dialog = document.getElementById('token-dialog') as HTMLDialogElement;
  const form = document.getElementById('token-form') as HTMLFormElement;
  const input = document.getElementById('token-input') as HTMLInputElement;
  document.getElementById('token-wrong')!.hidden = !wrong;
  input.value = '';
  return new Promise((resolve) => {
    const submit = (event: SubmitEvent): void => {
      event.preventDefault();
      const token = input.value.trim();
      if (token === '') return;
      form.removeEventListener('submit', submit);
      dialog.close();
      resolve(token);
    };
    form.addEventListener('submit', submit);
    // Escape would leave the page with nothing to show: the dialog stays until a token is given.
    dialog.oncancel = (event) => event.preventDefault();
    dialog.showModal();
    input.focus();
  });
}
